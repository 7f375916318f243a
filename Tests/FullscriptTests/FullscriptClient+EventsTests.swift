import Testing
@testable import Fullscript
import HTTPTypes

struct FullscriptClientEventsTests {
    static let event = #"{"id":"ev-1","type":"treatment_plan.updated","created_at":"2024-05-01T10:00:00.000Z","clinic_id":"c-1","data":{}}"#

    @Test func listsPlanEventsSinceADateOldestFirst() async throws {
        let transport = FakeTransport(.answer(200, #"""
            {"events": [\#(Self.event)], "meta": {"current_page": 1, "next_page": 2, "prev_page": null, "total_pages": 2, "total_count": 101}}
            """#))
        let page = try await Fixture.client(transport).events(accessToken: "tok", since: Fixture.date("2024-05-01T00:00:00Z"),
                                                              type: "treatment_plan.updated", page: 1, pageSize: 500)
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/events/treatment_plans?"
            + "created_at=%3E2024-05-01T00%3A00%3A00.000Z&event_type=treatment_plan.updated&sort_by=created_at&order_by=ASC"
            + "&page%5Bnumber%5D=1&page%5Bsize%5D=100")
        #expect(transport.sent.first?.request.headerFields[.authorization] == "Bearer tok")
        #expect(page == Page(items: [FullscriptEvent(id: "ev-1", type: "treatment_plan.updated", createdAt: "2024-05-01T10:00:00.000Z",
                                                     clinicID: "c-1")],
                             currentPage: 1, nextPage: 2, totalPages: 2, totalCount: 101))
    }

    @Test func withoutACutoffOrTypeOnlyOrderAndPageAreSent() async throws {
        let transport = FakeTransport(.answer(200, #"{"events": []}"#))
        let page = try await Fixture.client(transport).events(accessToken: "tok", since: nil, page: 3)
        #expect(transport.sent.first?.request.path == "/api/events/treatment_plans?sort_by=created_at&order_by=ASC&page%5Bnumber%5D=3&page%5Bsize%5D=100")
        #expect(page.items.isEmpty && page.nextPage == nil)
    }

    @Test func oneEventReadsTheEventMember() async throws {
        let transport = FakeTransport(.answer(200, #"{"event": \#(Self.event)}"#))
        let event = try await Fixture.client(transport).event(accessToken: "tok", id: "ev/1")
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/events/ev%2F1")
        #expect(event.id == "ev-1")
    }

    @Test func anUnreadableEventIsAMalformedResponse() async throws {
        let transport = FakeTransport(.answer(200, #"{"events": [{"type": "treatment_plan.created"}]}"#, headers: ["X-Request-Id": "r-1"]))
        let error = await #expect(throws: FullscriptError.self) {
            try await Fixture.client(transport).events(accessToken: "tok", since: nil)
        }
        #expect(error?.requestID == "r-1")
        if case .malformedResponse(let reason)? = error?.kind { #expect(reason.contains("id")) } else { Issue.record("\(String(describing: error))") }
    }
}
