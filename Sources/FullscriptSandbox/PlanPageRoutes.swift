import HTTPTypes
import Server

/// The pages behind redirect_url, standing in for Fullscript's plan builder: the practitioner
/// confirms the patient and activates, which is when Fullscript fires `treatment_plan.created`.
struct PlanPageRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let webhook: WebhookDelivery?

    func register(on router: Router) {
        router.get("/sandbox/plans/:id") { try await page($0) }
        router.post("/sandbox/plans/:id/activate", body: .standard) { try await activate($0) }
        router.get("/sandbox/plans/:id/invitation") { try await invitation($0) }
    }

    private func page(_ request: Request) async throws -> Response {
        let records = await state.records
        guard let plan = records.plan(id: request.parameters["id"] ?? "") else { return Pages.notFound }
        return .html(Pages.plan(plan, actingUser: SandboxSeed.user(id: plan.actingUserID), patients: records.patients))
    }

    private func activate(_ request: Request) async throws -> Response {
        guard let plan = await state.records.plan(id: request.parameters["id"] ?? "") else { return Pages.notFound }
        let form = request.formParameters
        guard let practitionerID = plan.practitionerID ?? form["practitioner_id"],
              SandboxSeed.practitioners.contains(where: { $0.id == practitionerID })
        else { return Pages.message("Cannot activate", "Pick a practitioner.", status: .unprocessableContent) }
        let patientID: String
        if let picked = form["patient_id"], !picked.isEmpty {
            guard await state.records.patient(id: picked) != nil else { return Pages.notFound }
            patientID = picked
        } else {
            let input = PatientInput(email: form["email"], firstName: form["first_name"], lastName: form["last_name"])
            switch await state.findOrCreatePatient(input) {
            case .patient(let patient): patientID = patient.id
            case .invalid(let errors):
                return Pages.message("Cannot activate", errors.joined(separator: "; "), status: .unprocessableContent)
            }
        }
        let message = form["personal_message"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
        guard let (active, event) = await state.activatePlan(
            id: plan.id, patientID: patientID, practitionerID: practitionerID, personalMessage: message
        ) else { return Pages.message("Cannot activate", "Plan \(plan.id) is already \(plan.state.rawValue).", status: .conflict) }
        // Delivered before answering, unlike Fullscript, so a test that clicked Activate can assert on
        // the delivery as soon as the page returns.
        if let webhook, await state.hasUnrevokedToken {
            _ = await webhook.deliver(event, at: await state.now)
        }
        return .redirect(to: "/sandbox/plans/\(active.id)", status: .seeOther)
    }

    private func invitation(_ request: Request) async throws -> Response {
        guard let plan = await state.records.plan(id: request.parameters["id"] ?? ""), plan.state == .active else {
            return Pages.notFound
        }
        return .html(Pages.invitation(plan))
    }
}
