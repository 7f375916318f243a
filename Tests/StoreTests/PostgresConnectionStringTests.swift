import Foundation
import PostgresStore
import PostgresTesting
import Testing

@Suite struct PostgresConnectionStringTests {
    @Test func aURLsPasswordIsRedactedInEveryTextualForm() throws {
        let url = try PostgresConnectionString("postgres://alice:s3cr%40t@db.example:5433/app?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        var dumped = ""
        dump(url, to: &dumped)
        for text in [url.description, "\(url)", String(reflecting: url), dumped] {
            #expect(!text.contains("s3cr"), "\(text)")
            #expect(text.contains("password=[redacted]"), "\(text)")
        }
        #expect(url.description.contains("user=alice"))
        #expect(url.description.contains("host=db.example"))
        #expect(url.description.contains("sslmode=verify-full"))
    }

    @Test func keywordFormAndSSLKeyPasswordAreRedactedToo() throws {
        let conninfo = try PostgresConnectionString("host=db.example password='pa ss' sslpassword=keypass dbname=app")
        #expect(!conninfo.description.contains("pa ss"))
        #expect(!conninfo.description.contains("keypass"))
        #expect(conninfo.description.contains("dbname=app"))
    }

    @Test func aMalformedStringIsRefusedWithoutQuotingIt() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnectionString("postgres://alice:s3cret@db.example/app?bogus%zz=1")
        }
        #expect(error.kind == .invalidConnectionString)
        #expect(!error.description.contains("s3cret"))
    }

    @Test func aFailedConnectionNamesTheServerButNotThePassword() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://alice:s3cret@/app?host=/nonexistent-socket-dir&connect_timeout=2")
        }
        #expect(error.kind == .cannotConnect)
        #expect(error.isUnavailable)
        #expect(error.description.contains("nonexistent-socket-dir"))
        #expect(!error.description.contains("s3cret"))
    }
}

/// A server that accepts the connection and never answers (a hung host behind a proxy, a port another program
/// holds): without a `connect_timeout` libpq waits for its answer forever, so a replica could neither start nor stop.
struct PostgresConnectTimeoutTests {
    @Test func aServerThatNeverAnswersIsGivenUpOnAfterTheDefaultConnectTimeout() async throws {
        let (listener, port) = try PostgresServer.boundLoopbackSocket(listening: true)
        defer { close(listener) }
        let (outcomes, continuation) = AsyncStream<String>.makeStream()
        let started = ContinuousClock.now
        // A thread of its own: the connect blocks, and the test must see it end without holding a task's thread.
        Thread {
            do {
                _ = try PostgresConnection(url: "postgres://nobody@127.0.0.1:\(port)/nothing")
                continuation.yield("connected")
            } catch {
                continuation.yield("failed: \(error)")
            }
        }.start()
        let limit = Task {
            try? await Task.sleep(for: .seconds(60))
            continuation.yield("still connecting after 60 s")
        }
        var iterator = outcomes.makeAsyncIterator()
        let outcome = await iterator.next() ?? ""
        limit.cancel()
        #expect(outcome.hasPrefix("failed"), "\(outcome)")
        #expect(ContinuousClock.now - started < .seconds(PostgresConnectionString.defaultConnectTimeoutSeconds * 3))
    }
}
