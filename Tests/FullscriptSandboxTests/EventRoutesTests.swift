import Foundation
@testable import FullscriptSandbox
import Testing
import ServerTesting

struct EventRoutesTests {
    /// Activates a fresh draft plan for pat-1 as prac-1 and returns its id.
    private func activate(_ sandbox: Harness, token: String) async throws -> String {
        let path = try await sandbox.draftPlanPath(token: token)
        #expect(try await sandbox.send("POST", path + "/activate", body: "patient_id=pat-1", contentType: "application/x-www-form-urlencoded").status == 303)
        return String(path.split(separator: "/").last!)
    }

    @Test func activationsAreListedAsPlanEventsWithThePlan() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let first = try await activate(sandbox, token: token)
            let second = try await activate(sandbox, token: token)
            let list = try await sandbox.json(sandbox.send("GET", "/api/events/treatment_plans", token: token))
            let events = try #require(list["events"]).array
            #expect(events.map { $0["data"]?["treatment_plan"]?["id"]?.text } == [first, second])
            #expect(events.allSatisfy { $0["type"]?.text == "treatment_plan.created" && $0["clinic_id"]?.text == "clinic-1" })
            #expect(events.first?["data"]?["treatment_plan"]?["state"]?.text == "active")
            #expect(list["meta"]?["total_count"]?.text == "2")

            let id = try #require(events.first?["id"]?.text)
            let one = try await sandbox.json(sandbox.send("GET", "/api/events/\(id)", token: token))
            #expect(one["event"]?["id"]?.text == id)
            #expect(try await sandbox.send("GET", "/api/events/nope", token: token).status == 404)
            #expect(try await sandbox.send("GET", "/api/events/treatment_plans").status == 401)
        }
    }

    @Test func filtersByDateAndTypeAndPaginates() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            for _ in 0..<3 { _ = try await activate(sandbox, token: token) }
            func count(_ query: String) async throws -> Int {
                try await #require(sandbox.json(sandbox.send("GET", "/api/events/treatment_plans?" + query, token: token))["events"]).array.count
            }
            let hourAgo = Timestamp.iso(Date().addingTimeInterval(-3600))
            let hourAhead = Timestamp.iso(Date().addingTimeInterval(3600))
            #expect(try await count("created_at=%3E\(hourAgo)") == 3)
            #expect(try await count("created_at=%3E\(hourAhead)") == 0)
            #expect(try await count("created_at=%3C\(hourAgo)") == 0)
            #expect(try await count("created_at=\(hourAgo)..\(hourAhead)") == 3)
            #expect(try await count("event_type=treatment_plan.updated") == 0)
            #expect(try await count("event_type=treatment_plan.created&page%5Bsize%5D=2&page%5Bnumber%5D=2") == 1)
            #expect(try await sandbox.send("GET", "/api/events/treatment_plans?created_at=yesterday", token: token).status == 400)
            let descending = try await #require(sandbox.json(sandbox.send("GET", "/api/events/treatment_plans?order_by=DESC", token: token))["events"]).array
            #expect(descending.first?["data"]?["treatment_plan"]?["id"]?.text == "plan-3")
        }
    }

    @Test func eventsOlderThanThirtyDaysAreGone() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            _ = try await activate(sandbox, token: token)
            await sandbox.sandbox.advanceClock(by: 31 * 24 * 3600)
            let fresh = try await sandbox.accessToken("prac-1")
            #expect(try await #require(sandbox.json(sandbox.send("GET", "/api/events/treatment_plans", token: fresh))["events"]).array.isEmpty)
        }
    }

    @Test func theWebhookCarriesTheSameEventAsTheEventsAPI() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            _ = try await activate(sandbox, token: token)
            let listed = try await #require(sandbox.json(sandbox.send("GET", "/api/events/treatment_plans", token: token))["events"]?.array.first)
            let delivered = try #require(JSON.parse(await recorder.deliveries.last?.body ?? [])?["event_payload"]?["event"])
            // Same event, not a copy with its own id: an app reading both sees it once.
            for path in [["id"], ["type"], ["created_at"], ["data", "treatment_plan", "id"], ["data", "treatment_plan", "updated_at"]] {
                let value = { (json: JSON) in path.reduce(Optional(json)) { $0?[$1] }?.text }
                #expect(value(delivered) != nil && value(delivered) == value(listed), "\(path)")
            }
        }
    }

    @Test(arguments: [
        (">2024-05-01T00:00:00Z", "2024-05-01T00:00:01Z", true), (">2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z", false),
        ("<2024-05-01T00:00:00.500Z", "2024-05-01T00:00:00Z", true), ("2024-05-01..2024-05-02", "2024-05-02T00:00:00Z", true),
        ("2024-05-01..2024-05-02", "2024-05-02T00:00:01Z", false),
    ])
    func dateFilters(filter: String, date: String, matches: Bool) throws {
        let range = try #require(DateFilter(filter))
        let moment = try Date.ISO8601FormatStyle(includingFractionalSeconds: date.contains(".")).parse(date)
        #expect(range.contains(moment) == matches)
    }

    @Test func malformedDateFiltersAreRefused() {
        for text in ["2024-05-01", ">", ">soon", "a..b", "=2024-05-01"] { #expect(DateFilter(text) == nil, "\(text)") }
    }
}
