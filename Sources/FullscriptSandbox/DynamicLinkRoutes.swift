import HTTPTypes
import Server

/// The "Recommend with Fullscript" links. Every call makes a new draft plan, so every click gets
/// a fresh URL; reopening one URL reopens the same plan, as Fullscript documents.
struct DynamicLinkRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.post("/api/clinic/dynamic_links/treatment_plans", body: .standard, gate.authenticated { try await draftLink($0, $1) })
        router.post("/api/clinic/dynamic_links/gateway/treatment_plans", body: .standard, gate.authenticated { try await gatewayLink($0, $1) })
        router.get("/api/clinic/dynamic_links/treatment_plans", gate.authenticated { try await newPlanLink($0, $1) })
        router.get("/api/clinic/dynamic_links/treatment_plans/:id", gate.authenticated { try await editLink($0, $1) })
    }

    /// §3.1: the patient is matched by email or created, so names without an email are a 422.
    private func draftLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        guard let body = JSON.parse(request.body), case .object = body else {
            return .jsonError("The request body must be a JSON object", status: .badRequest)
        }
        let clinic = await state.records(of: user.clinicID).clinic
        let practitionerErrors = Self.practitionerErrors(body["treatment_plan"]?["practitioner_id"]?.text, actingAs: user, in: clinic)
        guard practitionerErrors.isEmpty, let practitionerID = body["treatment_plan"]?["practitioner_id"]?.text else {
            return .unprocessable(practitionerErrors)
        }
        guard let entrypoint = Self.entrypoint(body["entrypoint"]?.text) else {
            return .unprocessable(["Entrypoint is not included in the list"])
        }
        var patientID: String?
        if let patient = body["patient"].map(PatientInput.init(json:)), !patient.isEmpty {
            switch await state.findOrCreatePatient(patient, in: user.clinicID) {
            case .patient(let found): patientID = found.id
            case .invalid(let errors): return .unprocessable(errors)
            }
        }
        let plan = await state.createDraftPlan(
            in: user.clinicID, patientID: patientID, practitionerID: practitionerID, actingUserID: user.id, entrypoint: entrypoint
        )
        return linkAnswer(plan)
    }

    /// §3.2 and §12, the link "with patient matching UI": the patient is matched in the bearer's clinic by
    /// `patient.id`, else by `external_id` (a patient's `metadata.id`), else by email. Nothing is created
    /// here: when no match is found the plan page first asks the practitioner to pick a patient or create
    /// the named one, which may have no email (a dependent). Nothing is required, so a missing practitioner
    /// is picked on the page too; the documented refusals are 400s.
    private func gatewayLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        guard let body = JSON.parse(request.body), case .object = body else {
            return .jsonError("The request body must be a JSON object", status: .badRequest)
        }
        let patientJSON = body["patient"] ?? .object([])
        let input = PatientInput(gatewayJSON: patientJSON)
        let (clinic, match) = await state.gatewayMatch(in: user.clinicID, patientID: patientJSON["id"]?.text, externalID: input.metadataID,
                                                       email: input.email?.trimmed)
        var practitionerID = body["treatment_plan"]?["practitioner_id"]?.text.flatMap { $0.isEmpty ? nil : $0 }
        if let named = practitionerID {
            let errors = Self.practitionerErrors(named, actingAs: user, in: clinic)
            guard errors.isEmpty else { return .invalid(errors) }
        } else if user.isPractitioner {
            practitionerID = user.id
        }
        guard let entrypoint = Self.entrypoint(body["entrypoint"]?.text) else {
            return .invalid(["Entrypoint is not included in the list"])
        }
        guard input.gatewayErrors.isEmpty else { return .invalid(input.gatewayErrors) }
        let named = match == nil && !(input.isEmpty && input.metadataID == nil)
        let plan = await state.createDraftPlan(
            in: user.clinicID, patientID: match?.id, practitionerID: practitionerID, actingUserID: user.id, entrypoint: entrypoint,
            unmatchedPatient: named ? input : nil
        )
        return linkAnswer(plan)
    }

    /// The reference says the draft link's answer "includes the patient id" without showing the key;
    /// `dynamic_links.patient_id` is the document's [inferred] guess, so the app should parse it defensively.
    /// The gateway link's answer is not shown at all; it is taken to be the same (§3.2 [inferred]).
    private func linkAnswer(_ plan: TreatmentPlan) -> Response {
        .json(.object([("dynamic_links", .object([
            ("redirect_url", .string(redirectURL(for: plan))),
            ("patient_id", .optional(configuration.draftLinkNamesPatient ? plan.patientID : nil)),
        ]))]))
    }

    /// The generic link: the patient is picked on the page, and a staff user picks the practitioner there too.
    private func newPlanLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        let plan = await state.createDraftPlan(
            in: user.clinicID, patientID: nil, practitionerID: user.isPractitioner ? user.id : nil, actingUserID: user.id,
            entrypoint: Self.entrypoint(request.queryParameters["entrypoint"]) ?? "catalog"
        )
        return .json(.object([("redirect_url", .string(redirectURL(for: plan)))]))
    }

    /// §3.4: the plan's own page, for a `draft` or `active` plan of the bearer's clinic. The reference lists
    /// 200/403/404 only, so a cancelled plan, like another clinic's, is taken to be a 404 [inferred].
    private func editLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        guard let plan = await state.records(of: user.clinicID).plan(id: request.parameters["id"] ?? ""),
              [.draft, .active].contains(plan.state) else {
            return .jsonError("Record not found", status: .notFound)
        }
        return .json(.object([("redirect_url", .string(redirectURL(for: plan)))]))
    }

    private func redirectURL(for plan: TreatmentPlan) -> String {
        FormEncoding.append([("entrypoint", plan.entrypoint)], to: "\(configuration.publicBaseURL)/sandbox/plans/\(plan.id)")
    }

    /// A practitioner may only draft as themselves; staff may draft for any practitioner of their clinic.
    static func practitionerErrors(_ practitionerID: String?, actingAs user: SandboxUser, in clinic: SandboxClinic) -> [String] {
        guard let practitionerID, !practitionerID.isEmpty else { return ["Practitioner can't be blank"] }
        guard clinic.practitioner(id: practitionerID) != nil else { return ["Practitioner is invalid"] }
        if user.isPractitioner, user.id != practitionerID { return ["Practitioner must be the authenticated practitioner"] }
        return []
    }

    private static func entrypoint(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return "catalog" }
        return ["catalog", "labs"].contains(value) ? value : nil
    }
}
