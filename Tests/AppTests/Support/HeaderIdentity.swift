@testable import App
import HTTPTypes
import Server

/// Stands in for the EHR session until the launch-token sign-in exists: the user is named by a header,
/// their tenant by another (`default` without it).
struct HeaderIdentity: EHRIdentityProvider {
    static let tenantField = HTTPField.Name("X-Test-Tenant")!

    func user(for request: Request) async throws -> EHRUser? {
        request.head.headerFields[HTTPField.Name("X-Test-User")!].map {
            EHRUser(id: $0, tenant: request.head.headerFields[Self.tenantField] ?? Tenant.defaultID)
        }
    }
}
