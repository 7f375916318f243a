@testable import App
import HTTPTypes
import Server

/// Stands in for the EHR session until the launch-token sign-in exists: the user is named by a header.
struct HeaderIdentity: EHRIdentityProvider {
    func user(for request: Request) async throws -> EHRUser? {
        request.head.headerFields[HTTPField.Name("X-Test-User")!].map { EHRUser(id: $0) }
    }
}
