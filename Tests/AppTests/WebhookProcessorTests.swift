@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import ServerTesting
import Store
import Testing
import Server

/// Applying stored events: order, idempotence, patient resolution, retries, and resuming after a crash.
struct WebhookProcessorTests {
    /// The simulator's seeded patient pat-1, as our EHR knows them.
    static let drew = PatientRecord(ehrPatientID: "p-1001", email: "Drew.Okafor@patient.example", firstName: "Drew",
                                    lastName: "Okafor", createdAt: "", updatedAt: "")

    /// A processor over the harness's stores that retries quickly, for tests that drive it by hand.
    static func processor(_ harness: ConnectedHarness, firstRetry: Duration = .milliseconds(20)) -> WebhookProcessor {
        let application = harness.application
        return WebhookProcessor(
            inbox: application.webhooks.inbox, plans: application.plans, orders: application.orders, patients: application.patients, vault: application.vault,
            clients: application.config.fullscript.clients(
                over: application.httpClient, regions: TenantRegions(database: application.database), logger: ApplicationTests.quietLogger,
                metrics: application.metrics
            ),
            source: .webhook, retry: .init(maxAttempts: 5, firstDelay: firstRetry),
            metrics: application.metrics, logger: ApplicationTests.quietLogger, now: { harness.clock.now() }
        )
    }

    static func store(_ harness: ConnectedHarness, _ body: [UInt8]) async throws {
        let event = try FullscriptEvent(webhookBody: body)
        #expect(try await harness.application.webhooks.inbox.insert(event, tenant: Tenant.defaultID, body: body, at: harness.clock.now()))
    }

    @Test func outOfOrderDeliveriesKeepTheNewestState() async throws {
        try await withHarness { harness async throws in
            // Fullscript does not promise order: the cancellation arrives before the activation.
            let cancelled = PlanEvent.plan(state: "cancelled", updatedAt: "2024-05-02T08:00:00.000Z", message: "Stopped")
            #expect(try await harness.deliver(PlanEvent.body("ev-2", type: "treatment_plan.updated", plan: cancelled)).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-1", plan: PlanEvent.plan())).status == 200)
            #expect(try await eventually { try await harness.webhookEvents().allSatisfy { $0.contains("|processed|") } })
            let plans = try await harness.storedPlans()
            #expect(plans.count == 1)
            #expect(plans.first?.hasPrefix("tp-1|cancelled|2024-05-02T08:00:00.000Z|Stopped|") == true)
            #expect(try await harness.webhookEvents().map { $0.components(separatedBy: "|")[0] } == ["ev-2", "ev-1"], "received order")
        }
    }

    @Test func recommendationChangesReplaceTheItems() async throws {
        try await withHarness { harness async throws in
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            let changed = PlanEvent.plan(updatedAt: "2024-05-03T00:00:00.000Z").replacingOccurrences(of: "1 capsule", with: "2 capsules")
            #expect(try await harness.deliver(PlanEvent.body("ev-2", type: "treatment_plan.recommendation.updated", plan: changed)).status == 200)
            #expect(try await eventually { try await harness.storedPlans().first?.contains("2024-05-03") == true })
            let recommendations = try await harness.application.database.read { try $0.queryFirst("SELECT recommendations FROM treatment_plans")?.string("recommendations") }
            #expect(recommendations?.contains("2 capsules") == true)
        }
    }

    @Test func otherTypesAreRecordedAndIgnored() async throws {
        try await withHarness { harness async throws in
            let product = Array(#"{"event":{"id":"ev-product","type":"product.updated","clinic_id":"clinic-1","data":{"product":{"id":"product-1"}}}}"#.utf8)
            #expect(try await harness.deliver(product).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-product|product.updated|ignored|1"] })
            #expect(try await harness.storedPlans().isEmpty)
        }
    }

    @Test func anUndecodablePlanFailsWithTheReasonOnly() async throws {
        try await withHarness { harness in
            let broken = #"{"id":"tp-9","state":"active","personal_message":"private words"}"#
            #expect(try await harness.deliver(PlanEvent.body("ev-bad", plan: broken)).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-bad|treatment_plan.created|failed|1"] })
            let error = try await harness.application.database.read { try $0.queryFirst("SELECT error FROM webhook_events")?.optionalString("error") }
            #expect(error?.contains("created_at") == true)
            #expect(error?.contains("private words") == false)
        }
    }

    @Test func anUnmappedPatientIsResolvedThroughFullscriptAndTheChartIsSignalled() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(Self.drew)
            // Another EHR user connected first; the plan's practitioner (prac-2) is asked first all the same.
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await harness.connect(session: try await harness.signIn("dr-lee"), as: "prac-2")
            let chart = try #require(harness.application.planUpdates.subscribe(user: EHRUser(id: "dr-quinn"), ehrPatientID: "p-1001"))

            #expect(try await harness.deliver(PlanEvent.body("ev-1", plan: PlanEvent.plan(patient: "pat-1", practitioner: "prac-2"))).status == 200)
            #expect(try await eventually { try await harness.mapping(of: "p-1001") == "pat-1" })
            let plans = try await signalled(chart) { () async throws -> [StoredPlan]? in
                let plans = try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID)
                return plans.isEmpty ? nil : plans
            }
            #expect(plans?.map(\.id) == ["tp-1"])
            let lookups = await harness.sandbox.recordedRequests().filter { $0.path == "/api/clinic/patients/pat-1" }
            #expect(lookups.count == 1)
            let prac2Token = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-lee"))?.accessToken)
            #expect(lookups.first?.bearerToken == prac2Token, "the plan's practitioner's own connection")

            // A second plan for the same patient needs no lookup.
            #expect(try await harness.deliver(PlanEvent.body("ev-2", plan: PlanEvent.plan("tp-2", patient: "pat-1"))).status == 200)
            #expect(try await eventually { try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).count == 2 })
            #expect(await harness.sandbox.recordedRequests().filter { $0.path == "/api/clinic/patients/pat-1" }.count == 1)
        }
    }

    @Test func withNobodyConnectedThePlanIsKeptAndShowsOnceMapped() async throws {
        try await withHarness { harness in
            try await harness.add(Self.drew)
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            #expect(try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).isEmpty)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "pat-1", in: Tenant.defaultID, at: Date())
            #expect(try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).map(\.id) == ["tp-1"])
        }
    }

    /// The test's processor drains both times: the application's own would race it for the replayed event.
    @Test func replayingAnEventChangesNothing() async throws {
        try await withHarness(try await ConnectedHarness.sessions(processWebhooks: false)) { harness in
            try await harness.add(Self.drew)
            try await harness.connect(session: try await harness.signIn())
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            #expect(await Self.processor(harness).drain() == .init(applied: 1))
            #expect(try await eventually { try await harness.mapping(of: "p-1001") != nil })
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"])
            let plans = try await harness.storedPlans()
            let requests = await harness.sandbox.recordedRequests().count

            _ = try await harness.application.database.write { try $0.execute("UPDATE webhook_events SET status = 'pending'") }
            let summary = await Self.processor(harness).drain()
            #expect(summary == .init(applied: 1))
            #expect(try await harness.storedPlans() == plans, "same state, same change number")
            #expect(await harness.sandbox.recordedRequests().count == requests, "no second lookup")
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|2"])
        }
    }

    /// Drew known in the EHR but not yet mapped, a practitioner connected, then Fullscript
    /// answering 503 to everything; no processor running but the test's own.
    static func fullscriptDownForAnUnmappedPatient() async throws -> ConnectedHarness {
        let harness = try await ConnectedHarness.sessions(processWebhooks: false)
        try await harness.add(Self.drew)
        try await harness.connect(session: try await harness.signIn())
        await harness.sandbox.setFaults([.status(503)])
        return harness
    }

    @Test func passingFullscriptFailuresAreRetriedThenGivenUp() async throws {
        try await withHarness(try await Self.fullscriptDownForAnUnmappedPatient()) { harness in
            try await Self.store(harness, PlanEvent.body("ev-1"))
            let summary = await Self.processor(harness).drain()
            #expect(summary == .init(failed: 1))
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|failed|5"])
            let error = try await harness.application.database.read { try $0.queryFirst("SELECT error FROM webhook_events")?.optionalString("error") }
            #expect(error?.contains("status 503") == true)
            // The plan itself was kept from the first try; only the patient is still unknown.
            #expect(try await harness.storedPlans().count == 1)
            #expect(try await harness.mapping(of: "p-1001") == nil)
        }
    }

    @Test func aRetriedEventSucceedsOnceFullscriptIsBack() async throws {
        try await withHarness(try await Self.fullscriptDownForAnUnmappedPatient()) { harness in
            let processor = Self.processor(harness, firstRetry: .milliseconds(300))
            try await Self.store(harness, PlanEvent.body("ev-1"))
            processor.start()
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|pending|1"] })
            await harness.sandbox.clearFaults()
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|2"] })
            #expect(try await harness.mapping(of: "p-1001") == "pat-1")
            await processor.stop()
        }
    }

    @Test func anEventStoredBeforeACrashIsAppliedAtTheNextStart() async throws {
        // The server takes the delivery but dies before processing it (no processor running).
        try await withHarness(processWebhooks: false) { harness in
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            // One written straight into the inbox, as if the crash came between two deliveries.
            try await Self.store(harness, PlanEvent.body("ev-2", plan: PlanEvent.plan("tp-2")))
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|pending|0", "ev-2|treatment_plan.created|pending|0"])
            let config = harness.application.config
            await harness.application.shutdown()

            let restarted = try await Application(config: config, logger: ApplicationTests.quietLogger)
            try restarted.start()
            do {
                let applied = try await eventually {
                    try await restarted.database.read { try $0.query("SELECT id FROM treatment_plans ORDER BY id").map { try $0.string("id") } }
                        == ["tp-1", "tp-2"]
                }
                #expect(applied)
                // An event is marked processed just after its plan is stored, so the mark is waited for too.
                let marked = try await eventually {
                    try await restarted.database.read { try $0.query("SELECT status FROM webhook_events").map { try $0.string("status") } }
                        == ["processed", "processed"]
                }
                #expect(marked)
            } catch {
                await restarted.shutdown()
                throw error
            }
            await restarted.shutdown()
        }
    }

    @Test func theSimulatorsActivateButtonReachesTheChart() async throws {
        try await withHarness(identity: nil, deliverWebhooks: true) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            // The mapping comes from a first click (which tells the open charts itself); the subscription
            // is the chart open on that patient afterwards, so what it hears is the webhook.
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let chart = try #require(harness.application.planUpdates.subscribe(user: EHRUser(id: "dr-quinn"), ehrPatientID: "p-1001"))
            try await harness.recommendAndActivate(session: session, message: "Start tomorrow")

            let plans = try await signalled(chart) { () async throws -> [StoredPlan]? in
                let plans = try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID)
                return plans.isEmpty ? nil : plans
            } ?? []
            #expect(plans.map(\.state) == ["active"])
            #expect(plans.first?.personalMessage == "Start tomorrow")
            #expect(plans.first?.invitationURL?.hasSuffix("/invitation") == true)
            #expect(plans.first?.practitionerID == "prac-1")
            // The chart hears before the event is marked done; the mark follows.
            #expect(try await eventually {
                let events = try await harness.webhookEvents()
                return events.count == 1 && events[0].hasSuffix("|treatment_plan.created|processed|1")
            })
        }
    }
}
