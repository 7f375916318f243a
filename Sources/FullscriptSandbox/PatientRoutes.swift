import HTTPTypes
import Server

/// The clinic's patients: the list, the search (first name, last name or email), one patient, and creation.
struct PatientRoutes: Sendable {
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic/patients", gate.authenticated { request, _ in
            let patients = await state.records.patients
            return .json(Pagination(request.queryParameters).body("patients", patients.map(\.json)))
        })
        router.get("/api/clinic/search/patients", gate.authenticated { request, _ in
            let matches = await state.records.searchPatients(request.queryParameters["query"] ?? "")
            return .json(.object([("patients", .array(matches.map(\.json)))]))
        })
        router.post("/api/clinic/patients", body: .standard, gate.authenticated { request, _ in
            guard let body = JSON.parse(request.body), case .object = body else {
                return .jsonError("The request body must be a JSON object", status: .badRequest)
            }
            // The reference lists the fields without saying whether they sit under "patient"; both are read.
            switch await state.createPatient(PatientInput(json: body["patient"] ?? body)) {
            case .patient(let patient): return .json(.object([("patient", patient.json)]), status: .created)
            case .invalid(let errors): return .unprocessable(errors)
            }
        })
        router.get("/api/clinic/patients/:id", gate.authenticated { request, _ in
            guard let patient = await state.records.patient(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("patient", patient.json)]))
        })
    }
}
