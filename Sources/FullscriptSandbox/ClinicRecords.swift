import Foundation

struct Patient: Sendable, Equatable {
    var id: String
    var firstName: String
    var lastName: String
    var email: String
    var dateOfBirth: String?
    var gender: String?
    var mobileNumber: String?
    var discount: Int = 0
    /// The app's own id for the patient (`metadata.id`).
    var metadataID: String?
}

struct Recommendation: Sendable, Equatable {
    var variantID: String
    var refill: Bool
    var unitsToPurchase: Int
    var takeWith: String
    var amount: String
    var frequency: String
    var duration: String
    var format: String
    var additionalInfo: String
    var timeOfDay: [String]
}

struct TreatmentPlan: Sendable, Equatable {
    enum State: String, Sendable {
        case draft, active, cancelled
    }

    var id: String
    var state: State = .draft
    var createdAt: Date
    var updatedAt: Date
    var personalMessage: String?
    /// Nil for a new-plan link until the practitioner picks the patient on the plan page.
    var patientID: String?
    /// Nil for a new-plan link opened by staff until they pick the practitioner.
    var practitionerID: String?
    /// Who followed the link: the page shows who is acting.
    var actingUserID: String
    var entrypoint: String
    var recommendations: [Recommendation] = []
}

/// Something that happened in the clinic, as the events API lists it and a webhook delivers it.
struct ClinicEvent: Sendable {
    var id: String
    var type: String
    var createdAt: Date
    var clinicID: String
    /// `{"treatment_plan": …}` for plan events, as the plan was when the event happened.
    var data: JSON

    var json: JSON {
        .object([("id", .string(id)), ("type", .string(type)), ("created_at", .string(Timestamp.iso(createdAt))),
                 ("clinic_id", .string(clinicID)), ("data", data)])
    }
}

/// The clinic's patients and plans. Ids are sequential so runs are reproducible.
struct ClinicRecords: Sendable {
    private(set) var patients: [Patient] = SandboxSeed.patients
    private(set) var plans: [TreatmentPlan] = []
    /// Every event, oldest first. Kept whether or not a webhook went out, as Fullscript keeps them.
    private(set) var events: [ClinicEvent] = []
    private var nextPatientNumber = SandboxSeed.patients.count + 1
    private var nextPlanNumber = 1

    func patient(id: String) -> Patient? {
        patients.first { $0.id == id }
    }

    /// Fullscript matches a dynamic-link patient on email within the clinic.
    func patient(email: String) -> Patient? {
        patients.first { $0.email.caseInsensitiveCompare(email) == .orderedSame }
    }

    func searchPatients(_ query: String) -> [Patient] {
        let query = query.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return patients }
        return patients.filter { patient in
            [patient.firstName, patient.lastName, patient.email].contains { $0.localizedCaseInsensitiveContains(query) }
        }
    }

    mutating func addPatient(_ fields: Patient) -> Patient {
        var patient = fields
        patient.id = "pat-\(nextPatientNumber)"
        nextPatientNumber += 1
        patients.append(patient)
        return patient
    }

    func plan(id: String) -> TreatmentPlan? {
        plans.first { $0.id == id }
    }

    func plans(ofPatient patientID: String) -> [TreatmentPlan] {
        plans.filter { $0.patientID == patientID }
    }

    mutating func addPlan(_ fields: TreatmentPlan) -> TreatmentPlan {
        var plan = fields
        plan.id = "plan-\(nextPlanNumber)"
        nextPlanNumber += 1
        plans.append(plan)
        return plan
    }

    mutating func addEvent(_ event: ClinicEvent) {
        events.append(event)
    }

    func event(id: String) -> ClinicEvent? {
        events.first { $0.id == id }
    }

    mutating func updatePlan(_ plan: TreatmentPlan) {
        guard let index = plans.firstIndex(where: { $0.id == plan.id }) else { return }
        plans[index] = plan
    }
}
