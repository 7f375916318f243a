import HTTPClient
import HTTPTypes
import Testing
import Synchronization

/// HTTPS against a local TLS server with certificates made for the run: verification must hold
/// in every way it can fail, and pooling must save handshakes.
struct HTTPClientTLSTests {

    /// Serves with `leaf` and runs `body` against it with a client trusting our CA unless told otherwise.
    func withTLSServer(
        leaf: String,
        trustingCA: Bool = true,
        _ body: (TLSTestServer, HTTPClient) async throws -> Void
    ) async throws {
        let certificates = try await TestCertificates.shared.value
        let server = try TLSTestServer(certificate: certificates.path("\(leaf).pem"), key: certificates.path("\(leaf).key"))
        defer { server.stop() }
        let caFile = trustingCA ? certificates.caFile : nil
        try await withClient({ $0.caFile = caFile; $0.allowPlainHTTPToLoopback = false }) { client in
            try await body(server, client)
        }
    }

    @Test func usesOpenSSL3() async throws {
        #expect(try await TestCertificates.offThePool { try TestCertificates.opensslVersion() }.hasPrefix("OpenSSL 3"))
    }

    @Test func goodCertificateTakesOneHandshakeForManyCalls() async throws {
        try await withTLSServer(leaf: "good") { server, client in
            for host in ["localhost", "127.0.0.1"] {
                let response = try await client.execute(request(.get, "https", host: host, port: server.port, "/"), deadline: .seconds(5))
                #expect(response.head.status == .ok)
                #expect(response.body == Array("ok".utf8))
            }
            #expect(client.handshakeCount == 2, "one per origin: a name and an address are different origins")
            for _ in 0..<10 {
                _ = try await client.execute(request(.get, "https", host: "localhost", port: server.port, "/"), deadline: .seconds(5))
            }
            #expect(client.handshakeCount == 2)
            #expect(server.requestsServed.load(ordering: .relaxed) == 12)
        }
    }

    @Test func refusesACertificateForAnotherHost() async throws {
        try await withTLSServer(leaf: "other-host") { server, client in
            let byName = await failure { _ = try await client.execute(request(.get, "https", host: "localhost", port: server.port, "/"), deadline: .seconds(5)) }
            #expect(byName == .tlsFailed("hostname mismatch"))
            let byAddress = await failure { _ = try await client.execute(request(.get, "https", port: server.port, "/"), deadline: .seconds(5)) }
            #expect(byAddress == .tlsFailed("IP address mismatch"))
            #expect(client.handshakeCount == 0)
        }
    }

    @Test func refusesAnExpiredCertificate() async throws {
        try await withTLSServer(leaf: "expired") { server, client in
            let error = await failure { _ = try await client.execute(request(.get, "https", host: "localhost", port: server.port, "/"), deadline: .seconds(5)) }
            #expect(error == .tlsFailed("certificate has expired"))
        }
    }

    @Test func refusesAnUntrustedIssuer() async throws {
        try await withTLSServer(leaf: "untrusted") { server, client in
            let error = await failure { _ = try await client.execute(request(.get, "https", host: "localhost", port: server.port, "/"), deadline: .seconds(5)) }
            guard case .tlsFailed(let reason)? = error else {
                Issue.record("expected tlsFailed, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("local issuer"))
        }
    }

    @Test func refusesOurOwnCAWhenNotGivenIt() async throws {
        try await withTLSServer(leaf: "good", trustingCA: false) { server, client in
            let error = await failure { _ = try await client.execute(request(.get, "https", host: "localhost", port: server.port, "/"), deadline: .seconds(5)) }
            guard case .tlsFailed = error else {
                Issue.record("expected tlsFailed, got \(String(describing: error))")
                return
            }
        }
    }

    @Test func failsClearlyWhenTheCAFileIsUnreadable() {
        #expect(throws: HTTPClientError.self) {
            _ = try makeClient { $0.caFile = "/nonexistent/ca.pem" }
        }
    }
}
