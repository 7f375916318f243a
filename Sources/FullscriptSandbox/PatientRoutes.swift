import HTTPTypes
import Server

/// The clinic's patients: the list, the search (first name, last name or email), one patient, creation
/// and update. Only the bearer's clinic: another clinic's patient is a 404, never a 403 (§4, §12).
struct PatientRoutes: Sendable {
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic/patients", gate.authenticated { request, user in
            let patients = await state.records(of: user.clinicID).patients
            return .json(Pagination(request.queryParameters).body("patients", patients.map(\.json)))
        })
        router.get("/api/clinic/search/patients", gate.authenticated { request, user in
            let matches = await state.records(of: user.clinicID).searchPatients(request.queryParameters["query"] ?? "")
            return .json(.object([("patients", .array(matches.map(\.json)))]))
        })
        router.post("/api/clinic/patients", body: .standard, gate.authenticated { request, user in
            guard let body = JSON.parse(request.body), case .object = body else {
                return .jsonError("The request body must be a JSON object", status: .badRequest)
            }
            // The reference lists the fields without saying whether they sit under "patient"; both are read.
            switch await state.createPatient(PatientInput(json: body["patient"] ?? body), in: user.clinicID) {
            case .patient(let patient): return .json(.object([("patient", patient.json)]), status: .created)
            case .invalid(let errors): return .unprocessable(errors)
            }
        })
        router.get("/api/clinic/patients/:id", gate.authenticated { request, user in
            guard let patient = await state.records(of: user.clinicID).patient(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("patient", patient.json)]))
        })
        router.on(.patch, "/api/clinic/patients/:id", body: .standard, gate.authenticated { request, user in
            try await update(request, user)
        })
    }

    /// §4's update: 200 with the patient, 404 outside the clinic, 422 with create's messages. No webhook:
    /// Fullscript does not tell an app about its own REST changes (§7.5).
    private func update(_ request: Request, _ user: SandboxUser) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard await state.records(of: user.clinicID).patient(id: id) != nil else { return .jsonError("Record not found", status: .notFound) }
        guard let body = JSON.parse(request.body), case .object = body else {
            return .jsonError("The request body must be a JSON object", status: .badRequest)
        }
        switch await state.updatePatient(id: id, with: PatientUpdate(json: body["patient"] ?? body), in: user.clinicID) {
        case .updated(let patient): return .json(.object([("patient", patient.json)]))
        case .notFound: return .jsonError("Record not found", status: .notFound)
        case .invalid(let errors): return .unprocessable(errors)
        }
    }
}
