@testable import App
import Server

/// Every request comes from `user`: for middleware tested on its own, without a session.
struct FixedIdentity: EHRIdentityProvider {
    let user: EHRUser

    func user(for request: Request) async throws -> EHRUser? { user }
}
