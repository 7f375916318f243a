import Foundation
import HTTPTypes
import Server

/// The patient's side of an active plan (behind its `invitation_url`), where the Order button places
/// an order and fires `order.placed`; and a lab order's page, where the lab reports results and fires
/// `lab_order.updated` (fullscript-api.md §7.5, §12).
struct OrderPageRoutes: Sendable {
    let state: SandboxState
    let webhook: WebhookDelivery?

    func register(on router: Router) {
        router.get("/sandbox/plans/:id/invitation") { try await invitation($0) }
        router.post("/sandbox/plans/:id/order", body: .standard) { try await order($0) }
        router.get("/sandbox/lab_orders/:id") { request in
            let id = request.parameters["id"] ?? ""
            guard let labOrder = await state.records(holdingLabOrder: id)?.labOrder(id: id) else { return Pages.notFound }
            return .html(Self.labPage(labOrder))
        }
        router.post("/sandbox/lab_orders/:id/advance", body: .standard) { try await advance($0) }
    }

    private func invitation(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let records = await state.records(holdingPlan: id), let plan = records.plan(id: id), plan.state == .active else {
            return Pages.notFound
        }
        let orders = records.orders.filter { $0.treatmentPlanIDs.contains(plan.id) }
        let labOrders = records.labOrders.filter { lab in orders.contains { $0.id == lab.orderID } }
        return .html(Self.checkout(plan, orders: orders, labOrders: labOrders))
    }

    private func order(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let (_, event) = await state.placeOrder(planID: id) else {
            return Pages.message("Cannot order", "Only an active plan can be ordered.", status: .conflict)
        }
        await WebhookDispatch(state: state, webhook: webhook).send(event)
        return .redirect(to: "/sandbox/plans/\(id)/invitation", status: .seeOther)
    }

    private func advance(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        guard let next = request.formParameters["state"], LabOrder.notifiedStates.contains(next) else {
            return Pages.message("Cannot update", "state must be one of \(LabOrder.notifiedStates.joined(separator: ", ")).",
                                 status: .unprocessableContent)
        }
        guard let (_, event) = await state.advanceLabOrder(id: id, to: next) else { return Pages.notFound }
        await WebhookDispatch(state: state, webhook: webhook).send(event)
        return .redirect(to: "/sandbox/lab_orders/\(id)", status: .seeOther)
    }

    private static func checkout(_ plan: TreatmentPlan, orders: [Order], labOrders: [LabOrder]) -> String {
        let items = plan.recommendations.map {
            "<li>\(HTMLEscaping.escape(SandboxCatalog.variant(id: $0.variantID)?.productName ?? $0.variantID)) × \($0.unitsToPurchase)</li>"
        } + plan.labRecommendations.map { "<li>Lab: \(HTMLEscaping.escape($0.labName))</li>" }
        let placed = orders.map { "<li>Order \(HTMLEscaping.escape($0.orderNumber)) placed \(HTMLEscaping.escape(Timestamp.iso($0.completedAt)))</li>" }
        let labs = labOrders.map {
            "<li><a href=\"/sandbox/lab_orders/\(HTMLEscaping.escape($0.id))\">Lab order \(HTMLEscaping.escape($0.id))</a>: \(HTMLEscaping.escape($0.state))</li>"
        }
        return Pages.document("Your treatment plan", """
            <h1>Your treatment plan</h1>
            <p>This is where the patient checks out plan \(HTMLEscaping.escape(plan.id)) in Fullscript.</p>
            <ul id="checkout-items">\(items.joined())</ul>
            <form method="post" action="/sandbox/plans/\(HTMLEscaping.escape(plan.id))/order"><button id="place-order">Order</button></form>
            <h2>Orders</h2><ul id="orders">\(placed.joined())</ul>
            <h2>Lab orders</h2><ul id="lab-orders">\(labs.joined())</ul>
            """)
    }

    private static func labPage(_ labOrder: LabOrder) -> String {
        let buttons = LabOrder.notifiedStates.map {
            "<button name=\"state\" value=\"\($0)\">\($0.replacingOccurrences(of: "_", with: " ").capitalized)</button>"
        }.joined(separator: " ")
        return Pages.document("Lab order \(labOrder.id)", """
            <h1>Lab order \(HTMLEscaping.escape(labOrder.id))</h1>
            <p>State: <strong id="lab-state">\(HTMLEscaping.escape(labOrder.state))</strong></p>
            <form method="post" action="/sandbox/lab_orders/\(HTMLEscaping.escape(labOrder.id))/advance"><p>Report results: \(buttons)</p></form>
            """)
    }
}
