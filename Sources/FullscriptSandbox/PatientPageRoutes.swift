import HTTPTypes
import Server

/// A patient's page in "Fullscript": a practitioner editing the patient there, which, unlike the app's own
/// `PATCH`, fires `patient.updated` (fullscript-api.md §7.5), so an app can be tested against it.
struct PatientPageRoutes: Sendable {
    let state: SandboxState
    let webhook: WebhookDelivery?

    func register(on router: Router) {
        router.get("/sandbox/patients/:id") { request in
            guard let patient = await state.records(holdingPatient: request.parameters["id"] ?? "")?.patient(id: request.parameters["id"] ?? "") else {
                return Pages.notFound
            }
            return .html(Pages.patient(patient))
        }
        router.post("/sandbox/patients/:id", body: .standard) { request in
            let id = request.parameters["id"] ?? ""
            let (result, event) = await state.editPatientInFullscript(id: id, with: PatientUpdate(form: request.formParameters))
            switch result {
            case .notFound:
                return Pages.notFound
            case .invalid(let errors):
                return Pages.message("Cannot save", errors.joined(separator: "; "), status: .unprocessableContent)
            case .updated:
                if let event { await WebhookDispatch(state: state, webhook: webhook).send(event) }
                return .redirect(to: "/sandbox/patients/\(id)", status: .seeOther)
            }
        }
    }
}
