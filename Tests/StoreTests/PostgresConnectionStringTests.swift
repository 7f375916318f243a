import Foundation
import Glibc
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
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 8) == 0
                && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
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
