import HTTPTypes
import Server

/// Reading plans, what an app without webhooks polls after the practitioner activates one, and
/// cancelling one. Only the bearer's clinic: another clinic's plan or patient is a 404.
struct TreatmentPlanRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic/patients/:id/treatment_plans", gate.authenticated { try await list($0, $1) })
        router.get("/api/clinic/treatment_plans/:id", gate.authenticated { request, user in
            guard let plan = await state.records(of: user.clinicID).plan(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("treatment_plan", plan.json(publicBaseURL: configuration.publicBaseURL))]))
        })
        router.on(.patch, "/api/clinic/treatment_plans/:id/cancel", body: .standard, gate.authenticated { try await cancel($0, $1) })
    }

    /// §5: active plans only (422 otherwise). The answer's body is undocumented; the plan's own endpoint's
    /// shape is assumed [inferred]. A change the app makes through REST fires no webhook (§7.5), so none is sent.
    private func cancel(_ request: Request, _ user: SandboxUser) async throws -> Response {
        switch await state.cancelPlan(id: request.parameters["id"] ?? "", in: user.clinicID) {
        case .notFound:
            return .jsonError("Record not found", status: .notFound)
        case .notActive(let current):
            return .unprocessable(["Only active treatment plans can be cancelled; this one is \(current.rawValue)"])
        case .cancelled(let plan, _):
            return .json(.object([("treatment_plan", plan.json(publicBaseURL: configuration.publicBaseURL))]))
        }
    }

    /// `sort_by` is created_at (default) or updated_at; `order_by` ASC (default) or DESC; paginated like every list.
    private func list(_ request: Request, _ user: SandboxUser) async throws -> Response {
        let records = await state.records(of: user.clinicID)
        let patientID = request.parameters["id"] ?? ""
        guard records.patient(id: patientID) != nil else { return .jsonError("Record not found", status: .notFound) }
        let query = request.queryParameters
        let byUpdate = query["sort_by"] == "updated_at"
        var plans = records.plans(ofPatient: patientID).enumerated().sorted { left, right in
            let (a, b) = byUpdate ? (left.element.updatedAt, right.element.updatedAt) : (left.element.createdAt, right.element.createdAt)
            return a == b ? left.offset < right.offset : a < b
        }.map(\.element)
        if query["order_by"]?.uppercased() == "DESC" { plans.reverse() }
        return .json(Pagination(query).body("treatment_plans", plans.map { $0.json(publicBaseURL: configuration.publicBaseURL) }))
    }
}
