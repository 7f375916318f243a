import Foundation
import HTTPTypes
import Server
import Store

/// What the launch token's `patient` and `roles` claims allow a session (`PatientBinding`,
/// `ActingRoleCheck`): who is asking, and a refusal, written to the audit log, when it is not allowed.
struct SessionAccess: Sendable {
    let identity: any EHRIdentityProvider
    let database: any SQLDatabase
    let now: @Sendable () -> Date

    func refuse(_ refusal: Refusal, _ user: EHRUser, subject: String, request: Request, audience: Audience) async throws -> Response {
        let entry = AuditEntry(tenant: user.tenant, actor: user.id, action: "access.refused", subject: subject, outcome: refusal.code, requestID: request.id,
                               detail: "\(request.method.rawValue) \(request.path)")
        try await database.write { try entry.insert(into: $0, at: now()) }
        return refusal.response(audience.format(of: request), to: request)
    }
}
