/// A request for a gateway link, the draft link "with patient matching UI" (fullscript-api.md §3.2):
/// for a patient known by Fullscript id or EHR id, or one without an email.
public struct GatewayTreatmentPlanLinkRequest: Sendable, Equatable {
    /// The practitioner the plan is for: the token's resource owner, or a staff user's choice. Nil lets
    /// the practitioner be matched by hand in Fullscript, which the gateway link documents.
    public var practitionerID: String?
    public var patient: GatewayPatient
    public var entrypoint: Entrypoint = .catalog
    /// Off by default, unlike Fullscript: a welcome email to a real address is hard to take back.
    public var sendWelcomeEmail: Bool = false

    public init(practitionerID: String?, patient: GatewayPatient, entrypoint: Entrypoint = .catalog, sendWelcomeEmail: Bool = false) {
        self.practitionerID = practitionerID
        self.patient = patient
        self.entrypoint = entrypoint
        self.sendWelcomeEmail = sendWelcomeEmail
    }

    /// `{"treatment_plan": {"practitioner_id"}, "patient": {…, "send_welcome_email"}, "entrypoint"}`; throws
    /// `.validation` with every problem found instead. The patient's fields are gathered once for both.
    func validatedBody() throws(FullscriptError) -> DraftLinkBody {
        var patientFields = patient.fields
        try validate(patientFields: patientFields)
        patientFields["send_welcome_email"] = sendWelcomeEmail ? "true" : "false"
        return DraftLinkBody(treatmentPlan: practitionerID.map { ["practitioner_id": $0] } ?? [:], patient: patientFields,
                             patientMetadataID: nil, entrypoint: entrypoint.rawValue)
    }

    private func validate(patientFields: [String: String]) throws(FullscriptError) {
        var problems: [String] = []
        if let practitionerID, practitionerID.allSatisfy(\.isWhitespace) { problems.append("Practitioner must not be blank") }
        problems += GatewayPatient.problems(in: patientFields)
        if !problems.isEmpty { throw FullscriptError(.validation(problems)) }
    }
}
