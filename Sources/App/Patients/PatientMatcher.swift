import Foundation
import Fullscript

/// Which Fullscript patient an EHR patient is, learned once and remembered. A click, a refresh and
/// a webhook each may be the first to learn it; they all learn it here, and the first mapping
/// recorded wins, so they never disagree.
struct PatientMatcher: Sendable {
    let clients: FullscriptClients
    let vault: TokenVault
    let patients: PatientStore
    let now: @Sendable () -> Date

    /// `patient`'s Fullscript patient: its mapping, else `known` (an answer of Fullscript's named it),
    /// else the one whose email is exactly the patient's, searched through `connection`. Returns the
    /// mapping that stands afterwards, or nil when Fullscript has no such patient.
    func fullscriptPatientID(of patient: PatientRecord, known: String? = nil, through connection: FullscriptConnection) async throws -> String? {
        if let mapped = patient.fullscriptPatientID { return mapped }
        var found = known
        if found == nil, let email = patient.email, !email.isEmpty {
            let client = try await clients.client(for: connection.user.tenant)
            found = try await vault.withFreshToken(connection) { try await client.patient(accessToken: $0, email: email) }?.id
        }
        guard let found else { return nil }
        let tenant = connection.user.tenant
        try await patients.recordMapping(ehrPatientID: patient.ehrPatientID, fullscriptPatientID: found, in: tenant, at: now())
        guard case .found(let current) = try await patients.find(patient.ehrPatientID, in: tenant) else { return nil }
        return current.fullscriptPatientID
    }

    /// The other way, for a Fullscript patient the tenant has not met: the first live, unmapped EHR
    /// patient of the tenant with the same email is that patient (a mapping is one to one). Returns
    /// the EHR patients linked.
    func link(_ fullscriptPatient: Patient, in tenant: String) async throws -> [String] {
        guard let email = fullscriptPatient.email, !email.isEmpty,
              let match = try await patients.unmappedPatients(withEmail: email, in: tenant).first else { return [] }
        try await patients.recordMapping(ehrPatientID: match, fullscriptPatientID: fullscriptPatient.id, in: tenant, at: now())
        guard case .found(let linked) = try await patients.find(match, in: tenant), linked.fullscriptPatientID == fullscriptPatient.id
        else { return [] }
        return [match]
    }
}
