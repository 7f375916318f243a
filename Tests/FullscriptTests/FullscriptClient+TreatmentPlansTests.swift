import Testing
@testable import Fullscript

struct FullscriptClientTreatmentPlansTests {
    static let plan = #"{"id": "tp-1", "state": "draft", "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-01T10:00:00Z"}"#

    @Test func listSortsNewestFirstByDefault() async throws {
        let transport = FakeTransport(.answer(200, #"{"treatment_plans": [\#(Self.plan)]}"#), .answer(200, #"{"treatment_plans": []}"#))
        let client = Fixture.client(transport)
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa 1").map(\.id) == ["tp-1"])
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa-1", sortBy: .updatedAt, order: .ascending).isEmpty)
        #expect(transport.sent.map(\.url) == [
            "https://api-us-snd.fullscript.io/api/clinic/patients/pa%201/treatment_plans?sort_by=created_at&order_by=DESC",
            "https://api-us-snd.fullscript.io/api/clinic/patients/pa-1/treatment_plans?sort_by=updated_at&order_by=ASC",
        ])
    }

    @Test func planReadsTheTreatmentPlanMember() async throws {
        let transport = FakeTransport(.answer(200, #"{"treatment_plan": \#(Self.plan)}"#))
        let plan = try await Fixture.client(transport).treatmentPlan(accessToken: "tok", id: "tp-1")
        #expect(plan.state == .draft)
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/treatment_plans/tp-1")
    }
}
