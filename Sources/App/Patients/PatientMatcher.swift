import Foundation
import Fullscript

/// Who an EHR patient is in Fullscript, for a click, a refresh and a webhook alike.
///
/// - A mapping is (tenant, EHR patient id) ↔ Fullscript patient id, one to one within the tenant.
///   Whichever path learns it first records it; it is never overwritten: an answer naming another
///   Fullscript patient for a mapped patient, or a Fullscript patient mapped to someone else, is
///   refused and audited (`patient_mapping.remap`).
/// - Once mapped, a click names the patient by that id (the gateway link), so a changed email in the
///   EHR never makes a second Fullscript patient. Before that, a patient with an email is matched or
///   created by it (the draft link, carrying the EHR id as `metadata.id`); one without (a dependent)
///   is named by the EHR id and names, and matched on Fullscript's own page.
/// - A Fullscript patient we have not met is ours when its `metadata.id` is one of the tenant's EHR
///   ids, else when its email is exactly one of theirs.
struct PatientMatcher: Sendable {
    let clients: FullscriptClients
    let vault: TokenVault
    let patients: PatientStore
    let now: @Sendable () -> Date

    /// What a click sends Fullscript for `patient`.
    static func naming(of patient: PatientRecord) -> PatientNaming {
        let email = patient.email.flatMap { $0.isEmpty ? nil : $0 }
        if patient.fullscriptPatientID != nil || email == nil {
            let named = GatewayPatient(
                id: patient.fullscriptPatientID, externalID: patient.ehrPatientID, email: email, firstName: patient.firstName ?? "",
                lastName: patient.lastName ?? "", dateOfBirth: patient.dateOfBirth, gender: patient.gender, mobileNumber: patient.mobileNumber
            )
            return named.id != nil || named.isNamed ? .gateway(named) : .nobody
        }
        guard let email else { return .nobody }
        return .draft(PatientDetails(email: email, firstName: patient.firstName, lastName: patient.lastName, dateOfBirth: patient.dateOfBirth,
                                     gender: patient.gender, mobileNumber: patient.mobileNumber, metadataID: patient.ehrPatientID))
    }

    /// `patient`'s Fullscript patient: its mapping, else `named` (an answer of Fullscript's named it),
    /// else the one whose email is exactly the patient's, searched through `connection`. Returns the
    /// mapping that stands afterwards, or nil when there is none.
    func fullscriptPatientID(of patient: PatientRecord, named: String? = nil, through connection: FullscriptConnection) async throws -> String? {
        let tenant = connection.user.tenant
        if let mapped = patient.fullscriptPatientID {
            if let named, named != mapped {
                try await refuse(patient.ehrPatientID, named: named, because: .patientMappedElsewhere(mapped), in: tenant, by: connection.user.id)
            }
            return mapped
        }
        var found = named
        if found == nil, let email = patient.email, !email.isEmpty {
            let client = try await clients.client(for: tenant)
            found = try await vault.withFreshToken(connection) { try await client.patient(accessToken: $0, email: email) }?.id
        }
        guard let found else { return nil }
        return try await map(patient.ehrPatientID, to: found, in: tenant, sent: patient, by: connection.user.id)
    }

    /// The other way, for a Fullscript patient the tenant has not met (told by a webhook): the EHR
    /// patient its `metadata.id` names, else the first live, unmapped one with its email. Returns the
    /// EHR patients linked.
    func link(_ fullscriptPatient: Patient, in tenant: String) async throws -> [String] {
        let actor = "webhook"
        if let ehrID = fullscriptPatient.metadataID, PatientRecord.isValidID(ehrID),
           case .found(let named) = try await patients.find(ehrID, in: tenant) {
            return try await map(named.ehrPatientID, to: fullscriptPatient.id, in: tenant, by: actor) == fullscriptPatient.id ? [ehrID] : []
        }
        guard let email = fullscriptPatient.email, !email.isEmpty else { return [] }
        let sameEmail = try await patients.livePatients(withEmail: email, in: tenant)
        guard let match = sameEmail.first(where: { $0.fullscriptPatientID == nil }) ?? sameEmail.first else { return [] }
        return try await map(match.ehrPatientID, to: fullscriptPatient.id, in: tenant, by: actor) == fullscriptPatient.id ? [match.ehrPatientID] : []
    }

    /// Records the mapping unless either side has one; returns the EHR patient's mapping afterwards.
    /// `sent`: the patient as Fullscript was told, whose later changes the mapping queues for it.
    private func map(_ ehrPatientID: String, to fullscriptPatientID: String, in tenant: String, sent: PatientRecord? = nil,
                     by actor: String) async throws -> String? {
        let outcome = try await patients.recordMapping(ehrPatientID: ehrPatientID, fullscriptPatientID: fullscriptPatientID, in: tenant,
                                                       sent: sent, at: now())
        switch outcome {
        case .recorded, .unchanged:
            return fullscriptPatientID
        case .patientMappedElsewhere(let mapped):
            try await refuse(ehrPatientID, named: fullscriptPatientID, because: outcome, in: tenant, by: actor)
            return mapped
        case .fullscriptPatientTaken:
            try await refuse(ehrPatientID, named: fullscriptPatientID, because: outcome, in: tenant, by: actor)
            return nil
        case .patientGone:
            return nil
        }
    }

    /// The audit row of a refused re-mapping: ids only, never patient details.
    private func refuse(_ ehrPatientID: String, named fullscriptPatientID: String, because outcome: MappingOutcome, in tenant: String,
                        by actor: String) async throws {
        let (reason, detail) = switch outcome {
        case .patientMappedElsewhere(let mapped): ("refused_mapped", "mapped to \(mapped), named \(fullscriptPatientID)")
        case .fullscriptPatientTaken(let other): ("refused_taken", "\(fullscriptPatientID) is mapped to \(other)")
        default: ("refused", fullscriptPatientID)
        }
        try await patients.record(AuditEntry(tenant: tenant, actor: actor, action: "patient_mapping.remap", subject: ehrPatientID,
                                             outcome: reason, requestID: nil, detail: detail), at: now())
    }
}
