/// A request for a draft plan link. Validated before any call because an incomplete patient is a
/// 422 at best, and a wrong one creates a patient and emails them.
public struct DraftTreatmentPlanLinkRequest: Sendable, Equatable {
    /// The practitioner the plan is for: the token's resource owner, or a staff user's choice.
    public var practitionerID: String
    public var patient: PatientDetails?
    public var entrypoint: Entrypoint = .catalog
    /// Off by default, unlike Fullscript: a welcome email to a real address is hard to take back.
    public var sendWelcomeEmail: Bool = false

    public init(practitionerID: String, patient: PatientDetails? = nil, entrypoint: Entrypoint = .catalog,
                sendWelcomeEmail: Bool = false) {
        self.practitionerID = practitionerID
        self.patient = patient
        self.entrypoint = entrypoint
        self.sendWelcomeEmail = sendWelcomeEmail
    }

    /// Throws `.validation` with every problem found.
    public func validate() throws(FullscriptError) {
        var problems: [String] = []
        if practitionerID.allSatisfy(\.isWhitespace) { problems.append("Practitioner is required") }
        problems += patient?.problems ?? []
        if !problems.isEmpty { throw FullscriptError(.validation(problems)) }
    }

    /// `{"treatment_plan": {"practitioner_id"}, "patient": {…, "send_welcome_email"}, "entrypoint"}`;
    /// `patient` is left out when it holds nothing.
    var body: DraftLinkBody {
        var patientFields = patient?.fields ?? [:]
        if !patientFields.isEmpty { patientFields["send_welcome_email"] = sendWelcomeEmail ? "true" : "false" }
        return DraftLinkBody(treatmentPlan: ["practitioner_id": practitionerID],
                             patient: patientFields.isEmpty ? nil : patientFields,
                             patientMetadataID: patientFields.isEmpty ? nil : patient?.metadataID, entrypoint: entrypoint.rawValue)
    }
}

/// The body both draft links take; the gateway link's `treatment_plan` may be empty.
struct DraftLinkBody {
    var treatmentPlan: [String: String]
    var patient: [String: String]?
    /// Sent as `patient.metadata.id`, the one member that is not a string.
    var patientMetadataID: String?
    var entrypoint: String

    var json: RequestJSON {
        var members: [String: RequestJSON] = ["treatment_plan": .object(treatmentPlan.mapValues(RequestJSON.string)),
                                              "entrypoint": .string(entrypoint)]
        if let patient {
            var patientMembers = patient.mapValues(RequestJSON.string)
            if let patientMetadataID { patientMembers["metadata"] = .object(["id": .string(patientMetadataID)]) }
            members["patient"] = .object(patientMembers)
        }
        return .object(members)
    }
}
