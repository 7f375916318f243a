import Testing
@testable import Fullscript
import Foundation

struct FullscriptClientTreatmentPlansTests {
    static let plan = #"{"id": "tp-1", "state": "draft", "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-01T10:00:00Z"}"#

    @Test func listSortsNewestFirstByDefault() async throws {
        let transport = FakeTransport(.answer(200, #"{"treatment_plans": [\#(Self.plan)]}"#), .answer(200, #"{"treatment_plans": []}"#))
        let client = Fixture.client(transport)
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa 1").map(\.id) == ["tp-1"])
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa-1", sortBy: .updatedAt, order: .ascending).isEmpty)
        #expect(transport.sent.map(\.url) == [
            "https://api-us-snd.fullscript.io/api/clinic/patients/pa%201/treatment_plans?sort_by=created_at&order_by=DESC&page%5Bnumber%5D=1&page%5Bsize%5D=100",
            "https://api-us-snd.fullscript.io/api/clinic/patients/pa-1/treatment_plans?sort_by=updated_at&order_by=ASC&page%5Bnumber%5D=1&page%5Bsize%5D=100",
        ])
    }

    @Test func listFollowsEveryPageAndStopsWhenNextPageDoesNotMoveOn() async throws {
        let second = Self.plan.replacingOccurrences(of: "tp-1", with: "tp-2")
        let transport = FakeTransport(
            .answer(200, #"{"treatment_plans": [\#(Self.plan)], "meta": {"current_page": 1, "next_page": 2}}"#),
            .answer(200, #"{"treatment_plans": [\#(second)], "meta": {"current_page": 2, "next_page": null}}"#),
            .answer(200, #"{"treatment_plans": [\#(Self.plan)], "meta": {"current_page": 1, "next_page": 1}}"#)
        )
        let client = Fixture.client(transport)
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa-1").map(\.id) == ["tp-1", "tp-2"])
        #expect(transport.sent.map(\.url).last?.contains("page%5Bnumber%5D=2") == true)
        #expect(try await client.treatmentPlans(accessToken: "tok", patientID: "pa-1").map(\.id) == ["tp-1"])
        #expect(transport.sent.count == 3)
    }

    @Test func planReadsTheTreatmentPlanMember() async throws {
        let transport = FakeTransport(.answer(200, #"{"treatment_plan": \#(Self.plan)}"#))
        let plan = try await Fixture.client(transport).treatmentPlan(accessToken: "tok", id: "tp-1")
        #expect(plan.state == .draft)
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/treatment_plans/tp-1")
    }
}
