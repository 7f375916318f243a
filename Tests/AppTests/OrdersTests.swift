@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// Orders and lab orders (issue 16): `order.placed` and `lab_order.updated` verified, stored and applied
/// like plan events; per plan "ordered N times, last on DATE"; line items named from the catalog; lab
/// purchases marked; lab orders' results state; Refresh and reconcile bring what webhooks missed; the
/// chart's stream sends `order` and `lab_order` events and resumes across them.
struct OrdersTests {
    static func plans(_ list: [String: Any]) -> [[String: Any]] { list["plans"] as? [[String: Any]] ?? [] }
    static func orders(_ list: [String: Any]) -> [[String: Any]] { list["orders"] as? [[String: Any]] ?? [] }
    static func labOrders(_ list: [String: Any]) -> [[String: Any]] { list["lab_orders"] as? [[String: Any]] ?? [] }

    /// Waits on the store, not the chart: polling the chart would meet the user's rate limit.
    static func storedOrders(_ harness: ConnectedHarness) async throws -> [StoredOrder] {
        try await harness.application.orders.orders(forEHRPatient: "p-1001", in: Tenant.defaultID)
    }

    static func storedLabState(_ harness: ConnectedHarness) async throws -> String? {
        try await harness.application.orders.labOrders(forEHRPatient: "p-1001", in: Tenant.defaultID).first?.state
    }

    @Test func aPatientsOrdersAtFullscriptShowOnThePlanWithProductNames() async throws {
        try await withHarness(mode: .live, identity: nil, deliverWebhooks: true) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let planID = try await harness.activatedPlan(session: session)
            #expect(try await eventually { try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).count == 1 })
            let fresh = try await harness.chartList(session: session)
            #expect(Self.plans(fresh).first?["ordered_count"] as? Int == 0 && Self.plans(fresh).first?["last_ordered_at"] == nil)

            try await harness.placeOrder(planID)
            await harness.sandbox.advanceClock(by: 60)
            try await harness.placeOrder(planID)
            #expect(try await eventually { try await Self.storedOrders(harness).count == 2 })

            let list = try await harness.chartList(session: session)
            let plan = try #require(Self.plans(list).first)
            let orders = Self.orders(list)
            #expect(plan["ordered_count"] as? Int == 2)
            #expect(plan["last_ordered_at"] as? String == orders.first?["completed_at"] as? String, "newest first")
            #expect(orders.map { $0["treatment_plan_ids"] as? [String] } == [[planID], [planID]])
            #expect(orders.allSatisfy { $0["is_lab"] as? Bool == false })
            let lines = try #require(orders.first?["line_items"] as? [[String: Any]])
            #expect(lines.map { ($0["product"] as? [String: Any])?["name"] as? String } == ["Magnesium Glycinate", "Vitamin D3 5,000 IU", "Omega-3 Fish Oil"])
            #expect(lines.map { $0["quantity"] as? Int } == [1, 1, 2])
            // An order is stored before its event is marked processed: the barrier is processed after both are.
            try await harness.deliverBarrier()
            #expect(try await harness.webhookEvents().filter { $0.contains("order.placed") }.allSatisfy { $0.hasSuffix("|processed|1") })

            // The service API answers the same.
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let service = try await harness.request("GET /api/v1/patients/p-1001/treatment-plans", headers: ["Authorization: Bearer \(key)"])
            #expect(service.status == 200 && service.text.contains(#""ordered_count":2"#) && service.text.contains(#""orders":[{"#))
        }
    }

    @Test func aLabPurchaseIsMarkedAndItsResultsStateReachesTheChart() async throws {
        try await withHarness(mode: .live, identity: nil, deliverWebhooks: true) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let planID = try await harness.activatedPlan(session: session, entrypoint: "labs")
            try await harness.placeOrder(planID)
            #expect(try await eventually { try await Self.storedOrders(harness).count == 1 })
            let order = try #require(Self.orders(try await harness.chartList(session: session)).first)
            #expect(order["is_lab"] as? Bool == true)
            #expect((order["line_items"] as? [[String: Any]])?.last?["type"] as? String == "labs")
            // Fullscript sends no webhook for a new lab order: it is read by Refresh.
            #expect(Self.labOrders(try await harness.chartList(session: session)).isEmpty)

            #expect(try await harness.advanceLabOrder("lab-order-1-1", to: "partial_results").status == 303)
            #expect(try await eventually { try await Self.storedLabState(harness) == "partial_results" })
            #expect(try await harness.advanceLabOrder("lab-order-1-1", to: "results_ready").status == 303)
            #expect(try await eventually { try await Self.storedLabState(harness) == "results_ready" })
            let lab = try #require(Self.labOrders(try await harness.chartList(session: session)).first)
            #expect((lab["tests"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Comprehensive Metabolic Panel", "Vitamin D, 25-Hydroxy"])
            #expect(lab["order_id"] as? String == order["id"] as? String)
            #expect(try await harness.advanceLabOrder("lab-order-1-1", to: "shipped").status == 422)
        }
    }

    @Test func redeliveredAndOutOfOrderEventsLeaveOneOrderAndTheNewestLabState() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            // The order comes before its plan, twice (a retry and a second event for the same order).
            let order = OrderEvent.order(lab: true)
            #expect(try await harness.deliver(OrderEvent.body("ev-o1", type: "order.placed", member: "order", order)).status == 200)
            #expect(try await harness.deliver(OrderEvent.body("ev-o1", type: "order.placed", member: "order", order)).status == 200)
            #expect(try await harness.deliver(OrderEvent.body("ev-o2", type: "order.placed", member: "order", order)).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-p1", plan: PlanEvent.plan(patient: "pat-1"))).status == 200)
            // Results ready, then the older partial results arriving late.
            #expect(try await harness.deliver(OrderEvent.body("ev-l2", type: "lab_order.updated", member: "lab_order",
                                                              OrderEvent.labOrder(state: "results_ready", updatedAt: "2024-05-05T10:00:00.000Z"))).status == 200)
            #expect(try await harness.deliver(OrderEvent.body("ev-l1", type: "lab_order.updated", member: "lab_order",
                                                              OrderEvent.labOrder(state: "partial_results", updatedAt: "2024-05-04T10:00:00.000Z"))).status == 200)
            try await harness.deliverBarrier()

            let list = try await harness.chartList(session: session)
            #expect(Self.orders(list).count == 1 && Self.orders(list).first?["is_lab"] as? Bool == true)
            #expect(Self.plans(list).first?["ordered_count"] as? Int == 1)
            #expect(Self.plans(list).first?["last_ordered_at"] as? String == "2024-05-02T10:00:00.000Z")
            #expect(Self.labOrders(list).map { $0["state"] as? String } == ["results_ready"])
            #expect(try await harness.webhookEvents().filter { !$0.hasPrefix("ev-barrier") }.allSatisfy { $0.hasSuffix("|processed|1") })
        }
    }

    @Test func anUnreadableOrderFailsWithTheReasonOnly() async throws {
        try await withHarness { harness in
            let body = OrderEvent.body("ev-bad", type: "order.placed", member: "order", #"{"order_number":"secret-ish"}"#)
            #expect(try await harness.deliver(body).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-bad|order.placed|failed|1"] })
            let error = try await harness.application.database.read { try $0.queryFirst("SELECT error FROM webhook_events")?.optionalString("error") }
            #expect(error == "unreadable event: data.order.body: missing id" || error?.contains("missing id") == true)
            #expect(error?.contains("secret-ish") == false)
        }
    }

    @Test func refreshBringsOrdersTheWebhooksMissedAndAnOrdersFailureKeepsThePlans() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let planID = try await harness.activatedPlan(session: session, entrypoint: "labs")
            try await harness.placeOrder(planID)
            let fullscriptPatientID = try #require(try await harness.mapping(of: "p-1001"))

            await harness.sandbox.setFaults([.status(503)], pathPrefix: "/api/clinic/patients/\(fullscriptPatientID)/orders")
            let degraded = try await harness.refreshPlans("p-1001", session: session)
            #expect(degraded.status == 200)
            let partial = try #require(try JSONSerialization.jsonObject(with: Data(degraded.body)) as? [String: Any])
            #expect(Self.plans(partial).map { $0["id"] as? String } == [planID], "the plans are refreshed all the same")
            #expect(Self.orders(partial).isEmpty)
            #expect((partial["orders_not_refreshed"] as? String)?.contains("did not answer for orders") == true)

            await harness.sandbox.clearFaults()
            let refreshed = try await harness.refreshPlans("p-1001", session: session)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(refreshed.body)) as? [String: Any])
            #expect(list["orders_not_refreshed"] == nil)
            #expect(Self.orders(list).count == 1 && Self.plans(list).first?["ordered_count"] as? Int == 1)
            #expect(Self.labOrders(list).map { $0["state"] as? String } == ["awaiting_results"])
            let labCalls = await harness.sandbox.recordedRequests().filter { $0.path == "/api/clinic/labs/orders" }
            #expect(labCalls.last?.query?.hasPrefix("patient_id=\(fullscriptPatientID)&") == true)
        }
    }

    @Test func reconcileBringsMissedOrderEvents() async throws {
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            // The simulator's first plan; no webhook reaches us for it, nor for the order.
            let planID = "plan-1"
            try await harness.placeOrder(planID)
            let (summary, _) = try await ReconcileTests.reconcile(harness)
            #expect(summary == .init(seen: 2, new: 2, applied: 2, ignored: 0, failed: 0))
            let orders = try await harness.application.orders.orders(forEHRPatient: "p-1001", in: Tenant.defaultID)
            #expect(orders.map(\.treatmentPlanIDs) == [[planID]])
            let plan = try #require(try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).first)
            #expect(plan.orderedCount == 1)
        }
    }

    @Test func theStreamSendsOrdersAndLabOrdersAndResumesAcrossThem() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            #expect(try await harness.deliver(PlanEvent.body("ev-p1", plan: PlanEvent.plan(patient: "pat-1"))).status == 200)
            #expect(try await eventually { try await harness.mapping(of: "p-1001") == "pat-1" })
            let (stream, ready) = try await harness.readyStream("p-1001", session: session)

            #expect(try await harness.deliver(OrderEvent.body("ev-o1", type: "order.placed", member: "order", OrderEvent.order())).status == 200)
            let (first, _) = try await stream.nextEvent()
            let (second, _) = try await stream.nextEvent()
            let byName = Dictionary(uniqueKeysWithValues: [first, second].map { ($0.event ?? "", $0) })
            #expect(byName["plan"]?.data?.contains(#""ordered_count":1"#) == true)
            #expect(byName["order"]?.data?.contains(#""name":"Magnesium Glycinate""#) == true)
            let afterOrder = try #require([first, second].compactMap { $0.id.flatMap { Int64($0) } }.max())
            #expect(afterOrder > Int64(ready.id ?? "") ?? .max)

            // The same order again (another event id): nothing to send. The lab order is the next event.
            #expect(try await harness.deliver(OrderEvent.body("ev-o2", type: "order.placed", member: "order", OrderEvent.order())).status == 200)
            #expect(try await harness.deliver(OrderEvent.body("ev-l1", type: "lab_order.updated", member: "lab_order",
                                                              OrderEvent.labOrder(state: "results_ready", updatedAt: "2024-05-05T10:00:00.000Z"))).status == 200)
            let (lab, _) = try await stream.nextEvent()
            #expect(lab.event == "lab_order" && lab.data?.contains(#""state":"results_ready""#) == true)
            stream.disconnect()

            // Resuming after the order sends the lab order only; resuming from the start sends all three, in
            // change order (the plan got its new count after the order was stored).
            let resumed = try await harness.planStream("p-1001", session: session, headers: ["Last-Event-ID: \(afterOrder)"])
            let (again, _) = try await resumed.nextEvent()
            #expect(again.event == "lab_order" && again.id == lab.id)
            resumed.disconnect()
            let everything = try await harness.planStream("p-1001", session: session, headers: ["Last-Event-ID: 0"])
            var names: [String] = []
            for _ in 0..<3 { names.append(try await everything.nextEvent().event.event ?? "") }
            #expect(names == ["order", "plan", "lab_order"])
            everything.disconnect()
        }
    }
}
