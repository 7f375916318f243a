import Cryptography
import Foundation
import Fullscript
import Store

/// The demo EHR's practices, each a tenant with its own people (who can sign in) and the patients
/// internal services would have sent us. The Sandbox practice's addresses are in `example.com`, which
/// the demo's email guard lets through, except one, to show the guard; Lakeside's patients are the
/// ones its Fullscript clinic already has, so a click finds them there by email.
enum DemoSeed {
    struct User: Sendable {
        let id: String
        let name: String?
        let role: String
        /// The launch token's `roles` claim for them; nil sends none, as most EHRs would.
        var roles: Set<EHRRole>? = nil
    }

    /// One EHR practice of the demo, bound to a clinic the simulator seeds (`SandboxSeed.clinics`).
    struct Practice: Sendable {
        let tenant: String
        let name: String
        let clinic: Clinic
        let users: [User]
        let patients: [PatientRecord]
    }

    static let practices = [
        Practice(
            tenant: Tenant.defaultID, name: "Sandbox Integrative Clinic", clinic: Clinic(id: "clinic-1", name: "Sandbox Integrative Clinic"),
            users: [
                User(id: "dr-quinn", name: "Dr. Avery Quinn", role: "practitioner"),
                User(id: "dr-lee", name: "Dr. Morgan Lee", role: "practitioner"),
                User(id: "dr-chen", name: "Dr. Riley Chen", role: "practitioner"),
                User(id: "sam-ortiz", name: "Sam Ortiz", role: "front-desk staff"),
                User(id: "pat-reviewer", name: "Pat Reviewer", role: "viewer: reads charts and plans, cannot recommend", roles: [.viewer]),
            ],
            patients: [
                PatientRecord(ehrPatientID: "p-1001", email: "jordan.rivera@example.com", firstName: "Jordan", lastName: "Rivera",
                              dateOfBirth: "1984-03-12", gender: "x", mobileNumber: "+15555550101", createdAt: "", updatedAt: ""),
                PatientRecord(ehrPatientID: "p-1002", email: "casey.brooks@example.com", firstName: "Casey", lastName: "Brooks",
                              gender: "female", createdAt: "", updatedAt: ""),
                PatientRecord(ehrPatientID: "p-1003", email: "alex.morgan@gmail.com", firstName: "Alex", lastName: "Morgan",
                              gender: "male", createdAt: "", updatedAt: ""),
            ]
        ),
        Practice(
            tenant: "lakeside", name: "Lakeside Family Wellness", clinic: Clinic(id: "clinic-2", name: "Lakeside Family Wellness"),
            users: [
                User(id: "dr-nakamura", name: "Dr. Harper Nakamura", role: "practitioner"),
                User(id: "dr-adeyemi", name: "Dr. Emerson Adeyemi", role: "practitioner"),
                User(id: "rowan-castillo", name: "Rowan Castillo", role: "front-desk staff"),
            ],
            patients: [
                PatientRecord(ehrPatientID: "lk-2001", email: "noor.haddad@patient.example", firstName: "Noor", lastName: "Haddad",
                              dateOfBirth: "1988-11-14", gender: "female", createdAt: "", updatedAt: ""),
                PatientRecord(ehrPatientID: "lk-2002", email: "tobias.whitfield@patient.example", firstName: "Tobias", lastName: "Whitfield",
                              gender: "male", createdAt: "", updatedAt: ""),
                // A dependent without an email: Fullscript's own matching page decides who they are.
                PatientRecord(ehrPatientID: "lk-2003", firstName: "Mila", lastName: "Haddad", dateOfBirth: "2017-05-09", gender: "female",
                              createdAt: "", updatedAt: ""),
            ]
        ),
    ]

    /// The email domains the demo's clicks may send to the simulator: the seeded patients' own.
    static let patientEmailDomains = ["example.com", "patient.example"]

    static func practice(_ tenant: String) -> Practice? {
        practices.first { $0.tenant == tenant }
    }

    /// Makes the practices that are not there yet, names them, pins each to its clinic, and adds the
    /// seeded patients that are not there yet: a demo's own edits survive a restart. A demo database
    /// whose practice an earlier connection pinned to another clinic cannot show what the demo shows.
    static func seed(_ tenants: TenantStore, _ patients: PatientStore, region: FullscriptRegion, at date: Date) async throws {
        for practice in practices {
            if try await tenants.find(practice.tenant) == nil {
                _ = try await tenants.create(id: practice.tenant, name: practice.name, region: region)
            }
            try await tenants.rename(practice.tenant, to: practice.name, actor: "demo")
            let pin = try await tenants.pin(practice.tenant, to: practice.clinic, mayPin: true, actor: "demo", requestID: nil)
            guard pin.accepted else { throw StartupError.demoClinicTaken(tenant: practice.tenant, clinic: practice.clinic.id) }
            for patient in practice.patients {
                guard case .unknown = try await patients.find(patient.ehrPatientID, in: practice.tenant) else { continue }
                let audit = AuditEntry(tenant: practice.tenant, actor: "demo", action: "patient.seed", subject: patient.ehrPatientID,
                                       outcome: "ok")
                try await patients.upsert(patient, in: practice.tenant, audit: audit, at: date)
            }
        }
    }

    /// One live demo key per practice at a time: each start revokes the last ones and makes new ones.
    /// The default practice's is an operator key, so the demo's `/metrics` can be read with it; for
    /// patients and plans each key sees its own practice only.
    static func serviceKeys(_ store: ServiceKeyStore) async throws -> [(practice: String, key: String)] {
        for key in try await store.list() where key.name.hasPrefix("demo-") && key.revokedAt == nil {
            try await store.revoke(name: key.name)
        }
        var keys: [(practice: String, key: String)] = []
        for practice in practices {
            let name = "demo-\(practice.tenant)-" + Hex.encode(SecureRandom.bytes(count: 4))
            let isOperator = practice.tenant == Tenant.defaultID
            keys.append((practice.name, try await store.create(name: name, tenant: practice.tenant, isOperator: isOperator)))
        }
        return keys
    }
}
