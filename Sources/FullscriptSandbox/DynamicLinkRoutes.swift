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
        router.get("/api/clinic/dynamic_links/treatment_plans", gate.authenticated { try await newPlanLink($0, $1) })
        router.get("/api/clinic/dynamic_links/treatment_plans/:id", gate.authenticated { try await editLink($0, $1) })
    }

    private func draftLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        guard let body = JSON.parse(request.body), case .object = body else {
            return .jsonError("The request body must be a JSON object", status: .badRequest)
        }
        let practitionerErrors = Self.practitionerErrors(body["treatment_plan"]?["practitioner_id"]?.text, actingAs: user)
        guard practitionerErrors.isEmpty, let practitionerID = body["treatment_plan"]?["practitioner_id"]?.text else {
            return .unprocessable(practitionerErrors)
        }
        guard let entrypoint = Self.entrypoint(body["entrypoint"]?.text) else {
            return .unprocessable(["Entrypoint is not included in the list"])
        }
        var patientID: String?
        if let patient = body["patient"].map(PatientInput.init(json:)), !patient.isEmpty {
            switch await state.findOrCreatePatient(patient) {
            case .patient(let found): patientID = found.id
            case .invalid(let errors): return .unprocessable(errors)
            }
        }
        let plan = await state.createDraftPlan(
            patientID: patientID, practitionerID: practitionerID, actingUserID: user.id, entrypoint: entrypoint
        )
        // The reference says the answer "includes the patient id" without showing the key;
        // `dynamic_links.patient_id` is the document's [inferred] guess, so the app should parse it defensively.
        return .json(.object([("dynamic_links", .object([
            ("redirect_url", .string(redirectURL(for: plan))),
            ("patient_id", .optional(configuration.draftLinkNamesPatient ? patientID : nil)),
        ]))]))
    }

    /// The generic link: the patient is picked on the page, and a staff user picks the practitioner there too.
    private func newPlanLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        let plan = await state.createDraftPlan(
            patientID: nil, practitionerID: user.isPractitioner ? user.id : nil, actingUserID: user.id,
            entrypoint: Self.entrypoint(request.queryParameters["entrypoint"]) ?? "catalog"
        )
        return .json(.object([("redirect_url", .string(redirectURL(for: plan)))]))
    }

    private func editLink(_ request: Request, _ user: SandboxUser) async throws -> Response {
        guard let plan = await state.records.plan(id: request.parameters["id"] ?? ""), plan.state != .cancelled else {
            return .jsonError("Record not found", status: .notFound)
        }
        return .json(.object([("redirect_url", .string(redirectURL(for: plan)))]))
    }

    private func redirectURL(for plan: TreatmentPlan) -> String {
        FormEncoding.append([("entrypoint", plan.entrypoint)], to: "\(configuration.publicBaseURL)/sandbox/plans/\(plan.id)")
    }

    /// A practitioner may only draft as themselves; staff may draft for any practitioner of the clinic.
    static func practitionerErrors(_ practitionerID: String?, actingAs user: SandboxUser) -> [String] {
        guard let practitionerID, !practitionerID.isEmpty else { return ["Practitioner can't be blank"] }
        guard SandboxSeed.practitioners.contains(where: { $0.id == practitionerID }) else { return ["Practitioner is invalid"] }
        if user.isPractitioner, user.id != practitionerID { return ["Practitioner must be the authenticated practitioner"] }
        return []
    }

    private static func entrypoint(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return "catalog" }
        return ["catalog", "labs"].contains(value) ? value : nil
    }
}
