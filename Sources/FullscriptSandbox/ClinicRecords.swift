import Foundation

struct Patient: Sendable, Equatable {
    var id: String
    var firstName: String
    var lastName: String
    /// Nil for a dependent (a child), who only the gateway link's matching page can create (fullscript-api.md §3.2).
    var email: String?
    var dateOfBirth: String?
    var gender: String?
    var mobileNumber: String?
    var discount: Int = 0
    /// The app's own id for the patient (`metadata.id`).
    var metadataID: String?

    func withMetadataID(_ id: String?) -> Patient {
        var patient = self
        patient.metadataID = id
        return patient
    }
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
    /// The patient a gateway link named but could not match: the plan page asks the practitioner to
    /// pick a patient or create this one (fullscript-api.md §3.2), until a patient is set.
    var unmatchedPatient: PatientInput?
    var recommendations: [Recommendation] = []
    var resources: [PlanResource] = []
    var labRecommendations: [LabRecommendation] = []
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

/// One clinic's patients, plans and events. Ids come from the sandbox, unique across clinics.
struct ClinicRecords: Sendable {
    let clinic: SandboxClinic
    private(set) var patients: [Patient]
    private(set) var plans: [TreatmentPlan] = []
    /// Every event, oldest first. Kept whether or not a webhook went out, as Fullscript keeps them.
    private(set) var events: [ClinicEvent] = []
    /// Oldest first.
    private(set) var orders: [Order] = []
    private(set) var labOrders: [LabOrder] = []

    init(clinic: SandboxClinic, patients: [Patient]) {
        self.clinic = clinic
        self.patients = patients
    }

    func patient(id: String) -> Patient? {
        patients.first { $0.id == id }
    }

    /// Fullscript matches a dynamic-link patient on email within the clinic.
    func patient(email: String) -> Patient? {
        patients.first { $0.email?.caseInsensitiveCompare(email) == .orderedSame }
    }

    /// The patient whose `metadata.id` is `externalID`: the gateway link's `patient.external_id` (§3.2).
    func patient(externalID: String) -> Patient? {
        patients.first { $0.metadataID == externalID }
    }

    func searchPatients(_ query: String) -> [Patient] {
        let query = query.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return patients }
        return patients.filter { patient in
            [patient.firstName, patient.lastName, patient.email ?? ""].contains { $0.localizedCaseInsensitiveContains(query) }
        }
    }

    mutating func addPatient(_ patient: Patient) {
        patients.append(patient)
    }

    mutating func updatePatient(_ patient: Patient) {
        guard let index = patients.firstIndex(where: { $0.id == patient.id }) else { return }
        patients[index] = patient
    }

    func plan(id: String) -> TreatmentPlan? {
        plans.first { $0.id == id }
    }

    func plans(ofPatient patientID: String) -> [TreatmentPlan] {
        plans.filter { $0.patientID == patientID }
    }

    mutating func addPlan(_ plan: TreatmentPlan) {
        plans.append(plan)
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

    mutating func addOrder(_ order: Order) {
        orders.append(order)
    }

    func labOrder(id: String) -> LabOrder? {
        labOrders.first { $0.id == id }
    }

    /// Adds `labOrder`, or replaces the one with its id.
    mutating func putLabOrder(_ labOrder: LabOrder) {
        if let index = labOrders.firstIndex(where: { $0.id == labOrder.id }) {
            labOrders[index] = labOrder
        } else {
            labOrders.append(labOrder)
        }
    }
}
