import HTTPTypes
import Server

/// Reading what patients bought and how their labs stand (scope `patients:order_history`, fullscript-api.md
/// §4, §12). Only the bearer's clinic: another clinic's patient or lab order is a 404.
struct OrderRoutes: Sendable {
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic/patients/:id/orders", gate.authenticated { request, user in
            let records = await state.records(of: user.clinicID)
            let patientID = request.parameters["id"] ?? ""
            guard records.patient(id: patientID) != nil else { return .jsonError("Record not found", status: .notFound) }
            let orders = records.orders.filter { $0.patientID == patientID }.reversed()
            return .json(Pagination(request.queryParameters).body("orders", orders.map(\.json)))
        })
        // `patient_id` narrows to one patient; the list's member name is our reading [inferred].
        router.get("/api/clinic/labs/orders", gate.authenticated { request, user in
            let patientID = request.queryParameters["patient_id"]
            let labOrders = await state.records(of: user.clinicID).labOrders.filter { patientID == nil || $0.patientID == patientID }
            return .json(Pagination(request.queryParameters).body("lab_orders", labOrders.reversed().map(\.json)))
        })
        router.get("/api/clinic/labs/orders/:id", gate.authenticated { request, user in
            guard let labOrder = await state.records(of: user.clinicID).labOrder(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("lab_order", labOrder.json)]))
        })
    }
}
