import PostgresStore
import Store
import PostgresTesting
import Testing

/// `sslmode` and its companions pass through to libpq: what the README's
/// `verify-full` advice relies on.
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServerWithTLS)
struct PostgresTLSTests {
    @Test func verifyFullConnectsOverTLS() throws {
        let db = try PostgresConnection(url: PostgresServer.required.tlsURL())
        #expect(try db.queryFirst("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")?.bool(0) == true)
    }

    @Test func verifyFullRefusesACertificateFromAnotherCA() throws {
        let server = try PostgresServer.required
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: server.tlsURL(rootCertificate: "\(server.directory)/other-ca.pem"))
        }
        #expect(error.kind == .cannotConnect)
        #expect(error.message.contains("certificate verify failed"))
    }

    @Test func verifyFullRefusesAHostTheCertificateDoesNotName() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: PostgresServer.required.tlsURL(host: "127.0.0.1"))
        }
        #expect(error.kind == .cannotConnect)
        #expect(error.message.contains("does not match host name"))
    }
}
