@testable import App
import HTTPTypes
import PostgresStore
import Server
import Store
import Testing

/// A store that cannot be used for now is a 503 the caller can retry, in the caller's format; any other
/// store failure stays the failure it is.
struct DatabaseUnavailableRecoveryTests {
    private static func answer(to error: any Error) async throws -> Response {
        let request = Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/ehr/api/me", headerFields: [:]))
        let recovery = DatabaseUnavailableRecovery(audience: .programs, logger: ApplicationTests.quietLogger)
        return try await recovery.handle(request) { _ in throw error }
    }

    private static func code(of response: Response) -> String? {
        guard case let .bytes(bytes) = response.body else { return nil }
        return String(decoding: bytes, as: UTF8.self).contains("database_unavailable") ? "database_unavailable"
            : String(decoding: bytes, as: UTF8.self).contains("database_busy") ? "database_busy" : nil
    }

    @Test(arguments: [
        (PostgresError(kind: .connectionLost, sqlState: "57P01", message: "terminating connection", sql: nil), "database_unavailable"),
        (PostgresError(kind: .cannotConnect, sqlState: nil, message: "connection refused", sql: nil), "database_unavailable"),
        (PostgresError(kind: .serializationFailure, sqlState: "40001", message: "could not serialize", sql: nil), "database_busy"),
        (PostgresError(kind: .queryCanceled, sqlState: "57014", message: "statement timeout", sql: nil), "database_busy"),
    ])
    func postgresUnavailabilityIsA503(_ error: PostgresError, _ code: String) async throws {
        let response = try await Self.answer(to: error)
        #expect(response.status == .serviceUnavailable)
        #expect(response.headerFields[.retryAfter] == "5")
        #expect(Self.code(of: response) == code)
    }

    @Test func aSQLiteBusyDatabaseIsA503Too() async throws {
        let response = try await Self.answer(to: SQLiteError(extendedCode: 5, message: "database is locked", sql: nil))
        #expect(response.status == .serviceUnavailable && Self.code(of: response) == "database_busy")
    }

    @Test func otherStoreFailuresAreNotHidden() async throws {
        let refused = PostgresError(kind: .uniqueViolation, sqlState: "23505", message: "duplicate key", sql: nil)
        await #expect(throws: PostgresError.self) { try await Self.answer(to: refused) }
    }
}
