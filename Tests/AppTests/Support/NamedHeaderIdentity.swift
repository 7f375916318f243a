@testable import App
import HTTPTypes
import Server

/// `HeaderIdentity` with display names, as the EHR's launch token carries them: the account check
/// compares against these.
struct NamedHeaderIdentity: EHRIdentityProvider {
    static let names = ["dr-lee": "Dr. Morgan Lee", "dr-quinn": "Dr. Avery Quinn", "sam-ortiz": "Sam Ortiz"]

    func user(for request: Request) async throws -> EHRUser? {
        request.head.headerFields[HTTPField.Name("X-Test-User")!].map { EHRUser(id: $0, name: Self.names[$0], tenant: request.head.headerFields[HeaderIdentity.tenantField] ?? Tenant.defaultID) }
    }
}
