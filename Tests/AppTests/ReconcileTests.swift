@testable import App
import Foundation
import ServerTesting
import Store
import Synchronization
import Testing
import FullscriptSandbox

/// `fullscript-redirect reconcile`: events the webhook never brought, read back from Fullscript.
struct ReconcileTests {
    static func reconcile(_ harness: ConnectedHarness, since window: TimeInterval = 86_400, now: Date = Date(),
                          pageSize: Int = 100) async throws -> (ReconcileCommand.Summary, [String]) {
        let lines = Mutex<[String]>([])
        let summary = try await ReconcileCommand.run(config: harness.application.config, since: window, logger: ApplicationTests.quietLogger,
                                                     now: { now }, pageSize: pageSize) { line in lines.withLock { $0.append(line) } }
        return (summary, lines.withLock { $0 })
    }

    /// A connected practitioner who activated `count` plans for p-1001 while no webhook could
    /// reach us (the simulator has no webhook URL here): the events exist only at Fullscript.
    static func missedActivations(_ count: Int) async throws -> ConnectedHarness {
        let harness = try await ConnectedHarness.sessions()
        try await harness.add(RecommendRoutesTests.jordan)
        let session = try await harness.signIn()
        try await harness.connect(session: session)
        for _ in 0..<count { try await harness.recommendAndActivate(session: session) }
        #expect(try await harness.storedPlans().isEmpty)
        return harness
    }

    @Test func missedEventsAreAppliedOnceAndALaterWebhookChangesNothing() async throws {
        try await withHarness(try await Self.missedActivations(2)) { harness in

            let (first, progress) = try await Self.reconcile(harness, pageSize: 1)
            #expect(first == .init(seen: 2, new: 2, applied: 2, ignored: 0, failed: 0))
            // Plans over two pages, then orders and lab orders (one empty page each).
            #expect(progress.count == 7 && progress[1].hasPrefix("page 1 of 2: 1 event(s), 1 new"))
            #expect(progress.filter { $0.hasPrefix("Reading") }.map { $0.split(separator: " ")[1] } == ["treatment_plans", "orders", "lab_orders"])
            let plans = try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID)
            #expect(plans.map(\.state) == ["active", "active"])
            let stored = try await harness.storedPlans()
            #expect(try await harness.application.database.read {
                try $0.query("SELECT source FROM treatment_plans").map { try $0.string("source") }
            } == ["reconcile", "reconcile"])

            let (second, _) = try await Self.reconcile(harness)
            #expect(second == .init(seen: 2, new: 0, applied: 0, ignored: 0, failed: 0))
            #expect(try await harness.storedPlans() == stored)

            // Fullscript's retry of the same event arrives after all: acknowledged, nothing changes.
            let body = try #require(try await harness.application.database.read { try $0.queryFirst("SELECT body FROM webhook_events")?.blob("body") })
            #expect(try await harness.deliver(body).status == 200)
            try await harness.deliverBarrier()
            #expect(try await harness.webhookEvents().count == 3, "the two reconciled, and the barrier")
            #expect(try await harness.storedPlans() == stored)
        }
    }

    @Test func onlyEventsSinceTheCutoffAreRead() async throws {
        try await withHarness(try await Self.missedActivations(1)) { harness in
            let (summary, _) = try await Self.reconcile(harness, since: 90 * 60, now: Date().addingTimeInterval(2 * 3600))
            #expect(summary == .init())
            let query = await harness.sandbox.recordedRequests().last { $0.path == "/api/events/treatment_plans" }?.query
            #expect(query?.hasPrefix("created_at=%3E") == true)
        }
    }

    @Test func withoutAConnectedPractitionerItSaysWhatToDo() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.connect(session: try await harness.signIn("staff-user"), as: "staff-1")
            await #expect(throws: ReconcileError.noConnectedPractitioner) { _ = try await Self.reconcile(harness) }
            #expect(ReconcileError.noConnectedPractitioner.description.contains("practitioner"))
        }
    }

    @Test(arguments: [("90m", 5400.0), ("24h", 86_400.0), ("7d", 604_800.0), ("30d", 2_592_000.0)])
    func windowsAreMinutesHoursOrDays(text: String, seconds: TimeInterval) throws {
        #expect(try ReconcileCommand.window(text) == seconds)
    }

    @Test(arguments: ["", "24", "h", "0h", "-5h", "+5h", "1.5h", "24 h", "2w", "٣h"])
    func otherWindowsAreRefused(text: String) {
        #expect(throws: ReconcileError.badWindow(text)) { try ReconcileCommand.window(text) }
    }

    @Test func windowsBeyondFullscriptsRetentionAreRefused() {
        #expect(throws: ReconcileError.windowTooLong("31d")) { try ReconcileCommand.window("31d") }
        #expect(throws: ReconcileError.windowTooLong("721h")) { try ReconcileCommand.window("721h") }
    }
}
