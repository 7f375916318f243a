import Foundation
import PostgresTesting
import Testing

/// Starts one server for a whole suite (its tests run in parallel against it)
/// and stops it when the suite ends, pass or fail.
struct PostgresServerScope: SuiteTrait, TestScoping {
    var tls = false

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // initdb and the start block for seconds: off the cooperative pool, which has a thread per core.
        let server = try await offPool { [tls] in try PostgresServer.start(tls: tls) }
        defer { server.stop() }
        try await PostgresServer.$current.withValue(server) { try await function() }
    }
}

/// Runs blocking work on a thread of its own and waits for it without holding a cooperative thread.
/// Not on `DispatchQueue.global()`: it runs about one thread per core, so suites starting their servers
/// there at once held them for seconds, and whatever else in the process used Dispatch (the HTTP
/// client's resolver) waited past its deadline.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

extension Trait where Self == PostgresServerScope {
    /// A PostgreSQL server for the suite, or the suite skipped with a message when the binaries are missing.
    static var postgresServer: Self { Self() }

    /// The same, also listening on a loopback port with TLS, under a certificate from a CA of its own.
    static var postgresServerWithTLS: Self { Self(tls: true) }
}

extension PostgresServer {
    /// The suite's server; a test outside a `.postgresServer` suite is a mistake in the test.
    static var required: PostgresServer {
        get throws {
            guard let current else { throw PostgresServer.ServerError(message: "no PostgreSQL server: add .postgresServer to the suite") }
            return current
        }
    }
}
