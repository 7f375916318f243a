import HTTPTypes
import Server

/// The pages behind redirect_url, standing in for Fullscript's plan builder: the practitioner
/// confirms the patient and activates, which is when Fullscript fires `treatment_plan.created`.
/// A gateway link that matched no patient first shows the matching page (fullscript-api.md §3.2).
/// Each plan shows its own clinic's patients and practitioners only.
struct PlanPageRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let webhook: WebhookDelivery?

    func register(on router: Router) {
        router.get("/sandbox/plans/:id") { try await page($0) }
        router.post("/sandbox/plans/:id/match", body: .standard) { try await match($0) }
        router.post("/sandbox/plans/:id/activate", body: .standard) { try await activate($0) }
        router.post("/sandbox/plans/:id/cancel", body: .standard) { try await cancel($0) }
    }

    private func page(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let records = await state.records(holdingPlan: id), let plan = records.plan(id: id) else { return Pages.notFound }
        let actingUser = SandboxSeed.user(id: plan.actingUserID)
        if plan.state == .draft, plan.patientID == nil, let named = plan.unmatchedPatient {
            return .html(Pages.matching(plan, named: named, actingUser: actingUser, records: records))
        }
        return .html(Pages.plan(plan, actingUser: actingUser, records: records))
    }

    /// The matching page's answer: an existing patient of the clinic, or (no pick) the patient the link
    /// named, created with `metadata.id` = its `external_id` and no email required.
    private func match(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let records = await state.records(holdingPlan: id), let plan = records.plan(id: id) else { return Pages.notFound }
        guard plan.state == .draft, plan.patientID == nil, plan.unmatchedPatient != nil else {
            return .redirect(to: "/sandbox/plans/\(plan.id)", status: .seeOther)
        }
        let form = request.formParameters
        guard let practitionerID = plan.practitionerID ?? form["practitioner_id"], records.clinic.practitioner(id: practitionerID) != nil else {
            return Pages.message("Cannot match", "Pick a practitioner.", status: .unprocessableContent)
        }
        let picked = form["patient_id"].flatMap { $0.isEmpty ? nil : $0 }
        if let picked, records.patient(id: picked) == nil { return Pages.notFound }
        if case .invalid(let errors)? = await state.matchPlan(id: plan.id, patientID: picked, practitionerID: practitionerID) {
            return Pages.message("Cannot match", errors.joined(separator: "; "), status: .unprocessableContent)
        }
        return .redirect(to: "/sandbox/plans/\(plan.id)", status: .seeOther)
    }

    private func activate(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let records = await state.records(holdingPlan: id), let plan = records.plan(id: id) else { return Pages.notFound }
        let form = request.formParameters
        guard let practitionerID = plan.practitionerID ?? form["practitioner_id"], records.clinic.practitioner(id: practitionerID) != nil
        else { return Pages.message("Cannot activate", "Pick a practitioner.", status: .unprocessableContent) }
        let patientID: String
        if let picked = form["patient_id"], !picked.isEmpty {
            guard records.patient(id: picked) != nil else { return Pages.notFound }
            patientID = picked
        } else {
            let input = PatientInput(email: form["email"], firstName: form["first_name"], lastName: form["last_name"])
            switch await state.findOrCreatePatient(input, in: records.clinic.id) {
            case .patient(let patient): patientID = patient.id
            case .invalid(let errors):
                return Pages.message("Cannot activate", errors.joined(separator: "; "), status: .unprocessableContent)
            }
        }
        let message = form["personal_message"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
        // The products the practitioner picked (`variant_ids`, comma-separated), else the seeded three.
        let picked = (form["variant_ids"] ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        if let unknown = picked.first(where: { SandboxCatalog.variant(id: $0) == nil }) {
            return Pages.message("Cannot activate", "No product variant \(unknown) in the catalog.", status: .unprocessableContent)
        }
        let products = picked.isEmpty ? SandboxSeed.recommendations.map(\.variantID) : picked
        let dosages = Dictionary(uniqueKeysWithValues: products.compactMap { id in WrittenDosage(form: form, variantID: id).map { (id, $0) } })
        guard let (active, event) = await state.activatePlan(
            id: plan.id, patientID: patientID, practitionerID: practitionerID, personalMessage: message,
            variantIDs: picked.isEmpty ? nil : picked, dosages: dosages
        ) else { return Pages.message("Cannot activate", "Plan \(plan.id) is already \(plan.state.rawValue).", status: .conflict) }
        await WebhookDispatch(state: state, webhook: webhook).send(event)
        return .redirect(to: "/sandbox/plans/\(active.id)", status: .seeOther)
    }

    /// The practitioner cancels in Fullscript itself: unlike the app's REST cancel, this sends
    /// `treatment_plan.updated` (§7.5, §12).
    private func cancel(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let records = await state.records(holdingPlan: id) else { return Pages.notFound }
        switch await state.cancelPlan(id: id, in: records.clinic.id) {
        case .notFound:
            return Pages.notFound
        case .notActive(let current):
            return Pages.message("Cannot cancel", "Plan \(id) is \(current.rawValue); only active plans can be cancelled.", status: .conflict)
        case .cancelled(let plan, let event):
            await WebhookDispatch(state: state, webhook: webhook).send(event)
            return .redirect(to: "/sandbox/plans/\(plan.id)", status: .seeOther)
        }
    }
}
