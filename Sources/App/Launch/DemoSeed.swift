import Cryptography
import Foundation
import Store

/// The demo EHR's people: who can sign in, and the patients internal services would have sent us.
/// The patients' addresses are in `example.com`, which the demo's email guard lets through, except
/// one, to show the guard.
enum DemoSeed {
    struct User: Sendable {
        let id: String
        let name: String?
        let role: String
        /// The launch token's `roles` claim for them; nil sends none, as most EHRs would.
        var roles: Set<EHRRole>? = nil
    }

    static let users = [
        User(id: "dr-quinn", name: "Dr. Avery Quinn", role: "practitioner"),
        User(id: "dr-lee", name: "Dr. Morgan Lee", role: "practitioner"),
        User(id: "dr-chen", name: "Dr. Riley Chen", role: "practitioner"),
        User(id: "sam-ortiz", name: "Sam Ortiz", role: "front-desk staff"),
        User(id: "pat-reviewer", name: "Pat Reviewer", role: "viewer: reads charts and plans, cannot recommend", roles: [.viewer]),
    ]

    static let patients = [
        PatientRecord(ehrPatientID: "p-1001", email: "jordan.rivera@example.com", firstName: "Jordan", lastName: "Rivera",
                      dateOfBirth: "1984-03-12", gender: "x", mobileNumber: "+15555550101", createdAt: "", updatedAt: ""),
        PatientRecord(ehrPatientID: "p-1002", email: "casey.brooks@example.com", firstName: "Casey", lastName: "Brooks",
                      gender: "female", createdAt: "", updatedAt: ""),
        PatientRecord(ehrPatientID: "p-1003", email: "alex.morgan@gmail.com", firstName: "Alex", lastName: "Morgan",
                      gender: "male", createdAt: "", updatedAt: ""),
    ]

    /// Adds the seeded patients that are not there yet; a demo's own edits survive a restart.
    static func seed(_ store: PatientStore, at date: Date) async throws {
        for patient in patients {
            guard case .unknown = try await store.find(patient.ehrPatientID, in: Tenant.defaultID) else { continue }
            let audit = AuditEntry(tenant: Tenant.defaultID, actor: "demo", action: "patient.seed", subject: patient.ehrPatientID,
                                   outcome: "ok")
            try await store.upsert(patient, in: Tenant.defaultID, audit: audit, at: date)
        }
    }

    /// One live demo key at a time: each start revokes the last and makes a new one.
    static func serviceKey(_ store: ServiceKeyStore) async throws -> String {
        for key in try await store.list() where key.name.hasPrefix("demo-") && key.revokedAt == nil {
            try await store.revoke(name: key.name)
        }
        return try await store.create(name: "demo-" + Hex.encode(SecureRandom.bytes(count: 4)), tenant: Tenant.defaultID)
    }
}
