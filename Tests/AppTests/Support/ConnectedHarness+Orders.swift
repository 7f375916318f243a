@testable import App
import Foundation
import ServerTesting
import Testing

extension ConnectedHarness {
    /// Clicks Recommend for p-1001 (at `entrypoint`), activates the plan on the simulator's page, and returns its id.
    func activatedPlan(session: String, entrypoint: String = "catalog") async throws -> String {
        let click = try await get("/recommend/p-1001?entrypoint=\(entrypoint)", user: nil, cookie: session)
        let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
        try await activate(planID, patient: try #require(try await mapping(of: "p-1001")))
        return planID
    }

    /// The patient presses Order on the plan's checkout page at the simulator.
    func placeOrder(_ planID: String) async throws {
        let response = try await fullscript.execute("POST /sandbox/plans/\(planID)/order HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(response.status == 303)
    }

    /// The lab reports results for `labOrderID` at the simulator.
    func advanceLabOrder(_ labOrderID: String, to state: String) async throws -> TestResponse {
        let form = "state=\(state)"
        return try await fullscript.execute("POST /sandbox/lab_orders/\(labOrderID)/advance HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
    }

    /// The chart's list for p-1001, as JSON.
    func chartList(session: String) async throws -> [String: Any] {
        let response = try await get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)
        #expect(response.status == 200)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "\(response.text)")
    }
}

/// Fullscript-shaped order events, written out as Fullscript sends them (fullscript-api.md §7.5, §12).
enum OrderEvent {
    static func order(_ id: String = "order-1", plans: [String] = ["tp-1"], patient: String = "pat-1", completedAt: String = "2024-05-02T10:00:00.000Z",
                      lab: Bool = false) -> String {
        let planIDs = plans.map { #""\#($0)""# }.joined(separator: ",")
        let labLine = lab ? #",{"variant_id":null,"quantity":1,"type":"labs","lab_type":"panel"}"# : ""
        return #"""
            {"id":"\#(id)","order_number":"100001","completed_at":"\#(completedAt)","treatment_plan_ids":[\#(planIDs)],\#
            "patient_id":"\#(patient)","practitioner_ids":["prac-1"],"line_items":[{"variant_id":"variant-1001","quantity":2,"type":"product"}\#(labLine)]}
            """#
    }

    static func labOrder(_ id: String = "lab-1", state: String, updatedAt: String, patient: String = "pat-1") -> String {
        #"{"id":"\#(id)","state":"\#(state)","patient_id":"\#(patient)","order_id":"order-1","updated_at":"\#(updatedAt)","tests":[{"id":"t-1","name":"Vitamin D"}]}"#
    }

    static func body(_ eventID: String, type: String, member: String, _ payload: String) -> [UInt8] {
        Array(#"{"event_payload":{"event":{"id":"\#(eventID)","type":"\#(type)","created_at":"2024-05-02T10:00:01.000Z","clinic_id":"\#(ConnectedHarness.clinicID)","data":{"\#(member)":\#(payload)}}}}"#.utf8)
    }
}
