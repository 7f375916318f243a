import Foundation
import Fullscript

/// Who an EHR patient is in Fullscript, for a click, a refresh and a webhook alike.
///
/// - A mapping is (tenant, EHR patient id) ↔ Fullscript patient id, one to one within the tenant.
///   Whichever path learns it first records it; it is never overwritten: an answer naming another
///   Fullscript patient for a mapped patient, or a Fullscript patient mapped to someone else, is
///   refused and audited (`patient_mapping.remap`).
/// - Once mapped, a click names the patient by that id (the gateway link), so a changed email in the
///   EHR never makes a second Fullscript patient. Before that, a patient with an email no other patient
///   of the tenant holds is matched or created by it (the draft link, carrying the EHR id as
///   `metadata.id`). An email several patients hold (a family) names nobody, so it is never sent: the
///   patient is named by EHR id and names, and matched on Fullscript's own page, like a dependent.
/// - A Fullscript patient we have not met is ours when its `metadata.id` is one of the tenant's EHR
///   ids, else when exactly one live patient of the tenant holds its email; several leave it unmapped
///   (audited `patient_mapping.ambiguous_email`).
/// - A mapping recorded after the EHR changed the patient queues the change for Fullscript.
struct PatientMatcher: Sendable {
    let clients: FullscriptClients
    let vault: TokenVault
    let patients: PatientStore
    /// Told when a mapping is recorded: it may have queued the EHR's latest change (`PatientSync`).
    let wakeOutbox: @Sendable () -> Void
    let now: @Sendable () -> Date

    /// What a click sends Fullscript for `patient`, given whether another live patient of the tenant holds
    /// its email (read with the patient, `ClickRead`).
    static func naming(of patient: PatientRecord, emailSharedWithAnother: Bool) -> PatientNaming {
        guard let email = patient.email, !email.isEmpty else { return naming(of: patient, email: nil) }
        return naming(of: patient, email: emailSharedWithAnother ? nil : email)
    }

    /// `patient` named with `email`, the patient's own when no other patient holds it.
    private static func naming(of patient: PatientRecord, email: String?) -> PatientNaming {
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
    /// else the one whose email is exactly the patient's, searched through `connection` when no other
    /// patient holds that email. `patient` is as the caller read it.
    func fullscriptPatient(of patient: PatientRecord, named: String? = nil, through connection: FullscriptConnection) async throws -> PatientMatch {
        let tenant = connection.user.tenant
        if let mapped = patient.fullscriptPatientID {
            guard let named, named != mapped else { return .mapped(mapped) }
            try await refuse(patient.ehrPatientID, named: named, because: .patientMappedElsewhere(mapped), in: tenant, by: connection.user.id)
            return .refused
        }
        var found = named
        if found == nil, let email = patient.email, !email.isEmpty,
           try await isSoleHolder(of: email, patient.ehrPatientID, in: tenant, by: connection.user.id) {
            let client = try await clients.client(for: tenant)
            found = try await vault.withFreshToken(connection) { try await client.patient(accessToken: $0, email: email) }?.id
        }
        guard let found else { return .unmapped }
        return try await map(patient, to: found, in: tenant, by: connection.user.id)
    }

    /// The other way, for a Fullscript patient the tenant has not met (told by a webhook): the EHR
    /// patient its `metadata.id` names, else the one live patient holding its email. The mapping tells
    /// the patient's open charts (`PatientStore.recordMapping`).
    func link(_ fullscriptPatient: Patient, in tenant: String) async throws {
        let actor = "webhook"
        if let ehrID = fullscriptPatient.metadataID, PatientRecord.isValidID(ehrID),
           case .found(let named) = try await patients.find(ehrID, in: tenant) {
            _ = try await map(named, to: fullscriptPatient.id, in: tenant, by: actor)
            return
        }
        guard let email = fullscriptPatient.email, !email.isEmpty else { return }
        let holders = try await patients.livePatients(withEmail: email, in: tenant)
        guard let holder = holders.first, holders.count == 1 else {
            try await leaveUnmapped(fullscriptPatient.id, holders: holders.count, in: tenant, by: actor)
            return
        }
        _ = try await map(holder, to: fullscriptPatient.id, in: tenant, by: actor)
    }

    /// Whether `ehrPatientID` is the one live patient of the tenant holding `email`; else an email
    /// names nobody, and the audit says why the patient stays unmapped.
    private func isSoleHolder(of email: String, _ ehrPatientID: String, in tenant: String, by actor: String) async throws -> Bool {
        let holders = try await patients.livePatients(withEmail: email, in: tenant)
        if holders.map(\.ehrPatientID) == [ehrPatientID] { return true }
        try await leaveUnmapped(ehrPatientID, holders: holders.count, in: tenant, by: actor)
        return false
    }

    /// The audit row of an email too many patients hold to link by: ids and counts, never the email.
    private func leaveUnmapped(_ subject: String, holders: Int, in tenant: String, by actor: String) async throws {
        try await patients.record(AuditEntry(tenant: tenant, actor: actor, action: "patient_mapping.ambiguous_email", subject: subject,
                                             outcome: "left_unmapped", requestID: nil, detail: "\(holders) live patients hold the email"),
                                  at: now())
    }

    /// Records the mapping unless either side has one; says what stands afterwards.
    private func map(_ patient: PatientRecord, to fullscriptPatientID: String, in tenant: String, by actor: String) async throws -> PatientMatch {
        let outcome = try await patients.recordMapping(ehrPatientID: patient.ehrPatientID, fullscriptPatientID: fullscriptPatientID, in: tenant,
                                                       at: now(), copy: patient)
        switch outcome {
        case .recorded:
            wakeOutbox()
            return .mapped(fullscriptPatientID)
        case .unchanged:
            return .mapped(fullscriptPatientID)
        case .patientMappedElsewhere, .fullscriptPatientTaken:
            try await refuse(patient.ehrPatientID, named: fullscriptPatientID, because: outcome, in: tenant, by: actor)
            return .refused
        case .patientGone:
            return .unmapped
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
