@testable import App
import Foundation
import FullscriptSandbox
import HTTPTypes
import Logging
import Server
import ServerTesting
import Store
import Testing

struct WebhookRoutesTests {
    static let acknowledgement = #"{"challenge":"\#(ApplicationTests.webhookChallenge)"}"#

    @Test func theHandshakeIsAnsweredWithTheChallengeAtOnce() async throws {
        // No processor at all: the answer cannot be waiting on one.
        try await withHarness(processWebhooks: false) { harness in
            let started = ContinuousClock.now
            let response = try await harness.deliver([], secret: nil)
            // Fullscript gives up after 2 s; the rest of the margin is for a machine busy with other tests.
            #expect(ContinuousClock.now - started < .milliseconds(1500), "Fullscript gives up after 2 s")
            #expect(response.status == 200)
            #expect(response.text == Self.acknowledgement)
            #expect(response.header("content-type") == "application/json")
            #expect(try await harness.webhookEvents().isEmpty)
            let eventStarted = ContinuousClock.now
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).text == Self.acknowledgement)
            #expect(ContinuousClock.now - eventStarted < .milliseconds(1500))
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|pending|0"], "stored, not yet processed")
        }
    }

    @Test func answersDoNotWaitForSlowProcessing() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness async throws in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            // Every Fullscript call now takes 8 s (under the client's 10 s deadline), and the plan's patient
            // is unknown, so processing the first event sits in a patient lookup while the deliveries below
            // arrive: 40 answers on a machine however busy.
            await harness.sandbox.setFaults([.latency(.milliseconds(8000))])
            #expect(try await harness.deliver(PlanEvent.body("ev-slow")).status == 200)
            var handshakes: [Duration] = []
            var events: [Duration] = []
            for index in 0..<20 {
                let started = ContinuousClock.now
                let handshake = try await harness.deliver([], secret: nil)
                handshakes.append(ContinuousClock.now - started)
                #expect(handshake.text == Self.acknowledgement)
                let eventStarted = ContinuousClock.now
                let body = PlanEvent.body("ev-\(index)", plan: PlanEvent.plan("tp-\(index)", patient: nil))
                #expect(try await harness.deliver(body).text == Self.acknowledgement)
                events.append(ContinuousClock.now - eventStarted)
            }
            // The first event was still in its lookup the whole time: the answers did not wait on it.
            #expect(try await harness.webhookEvents().first == "ev-slow|treatment_plan.created|pending|0")
            handshakes.sort()
            events.sort()
            func milliseconds(_ duration: Duration) -> String {
                String(format: "%.2f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
            }
            print("webhook answers while processing is slow (20 each): handshake p50 \(milliseconds(handshakes[10])), "
                  + "max \(milliseconds(handshakes[19])); signed event p50 \(milliseconds(events[10])), max \(milliseconds(events[19]))")
            await harness.sandbox.clearFaults()
            #expect(try await eventually(within: .seconds(30)) { try await harness.webhookEvents().allSatisfy { $0.contains("|processed|") } })
        }
    }

    @Test func withoutSecretsTheEndpointSaysWebhooksAreNotConfigured() async throws {
        try await withHarness(environment: ["FULLSCRIPT_WEBHOOK_CHALLENGE": "", "FULLSCRIPT_WEBHOOK_SECRET": ""]) { harness async throws in
            for body in [[], PlanEvent.body("ev-1")] {
                let response = try await harness.deliver(body)
                #expect(response.status == 503)
                #expect(response.text.contains(#""code":"webhooks_not_configured""#))
                #expect(response.text.contains("FULLSCRIPT_WEBHOOK_SECRET"))
            }
            #expect(try await harness.webhookEvents().isEmpty)
        }
    }

    @Test func aSignedEventIsStoredAcknowledgedAndApplied() async throws {
        try await withHarness { harness async throws in
            let response = try await harness.deliver(PlanEvent.body("ev-1"))
            #expect(response.status == 200)
            #expect(response.text == Self.acknowledgement)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            let plans = try await harness.storedPlans()
            #expect(plans.count == 1)
            #expect(plans.first?.hasPrefix("tp-1|active|2024-05-01T10:00:00.000Z|Take with food|") == true)
            let body = try await harness.application.database.read { try $0.queryFirst("SELECT body FROM webhook_events")?.blob("body") }
            #expect(body == PlanEvent.body("ev-1"), "the exact bytes that were signed")
        }
    }

    @Test func bothEnvelopeShapesAreAccepted() async throws {
        try await withHarness { harness async throws in
            #expect(try await harness.deliver(PlanEvent.body("ev-wrapped", plan: PlanEvent.plan("tp-a"))).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-bare", plan: PlanEvent.plan("tp-b"), wrapped: false)).status == 200)
            #expect(try await eventually { try await harness.webhookEvents().filter { $0.contains("|processed|") }.count == 2 })
            #expect(try await harness.storedPlans().count == 2)
        }
    }

    @Test func badSignaturesAre401AndStoreNothing() async throws {
        try await withHarness { harness async throws in
            let body = PlanEvent.body("ev-1")
            // Stopped, so "301 s ahead" is still ahead when it arrives, however slowly this test goes.
            harness.clock.freeze()
            let now = harness.clock.now()
            var tampered = body
            tampered[tampered.count - 4] = UInt8(ascii: "0")
            let signedOriginal = WebhookSigner(secret: ApplicationTests.webhookSecret).signature(timestamp: Int(now.timeIntervalSince1970), body: body)
            let refusals: [(TestResponse, String)] = [
                (try await harness.deliver(body, secret: nil), "no Fullscript-Signature"),
                (try await harness.deliver(body, signature: "t=soon,v1=nope"), "not t="),
                (try await harness.deliver(body, secret: "not-our-secret"), "does not match"),
                (try await harness.deliver(tampered, signature: signedOriginal), "does not match"),
                (try await harness.deliver(body, at: now.addingTimeInterval(-301)), "too old"),
                (try await harness.deliver(body, at: now.addingTimeInterval(301)), "in the future"),
            ]
            for (response, reason) in refusals {
                #expect(response.status == 401)
                #expect(response.text.contains(#""code":"invalid_signature""#))
                #expect(response.text.contains(reason), "\(response.text)")
            }
            #expect(try await harness.webhookEvents().isEmpty)
            #expect(try await harness.storedPlans().isEmpty)
        }
    }

    @Test func aRefusalIsLoggedOnceWithoutTheBodyOrTheSignature() async throws {
        try await withHarness(processWebhooks: false) { harness async throws in
            let logs = LogCapture()
            let routes = WebhookRoutes(settings: harness.application.config.fullscript.webhook, inbox: harness.application.webhooks.inbox,
                                       router: WebhookTenantRouter(database: harness.application.database),
                                       processor: harness.application.webhooks, metrics: harness.application.metrics, logger: Logger(label: "test") { _ in logs }, now: Date.init)
            let body = PlanEvent.body("ev-secret", plan: PlanEvent.plan(message: "very private note"))
            let signature = WebhookSigner(secret: "wrong").signature(timestamp: Int(Date().timeIntervalSince1970), body: body)
            var head = HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/webhooks/fullscript")
            head.headerFields[WebhookRoutes.signatureField] = signature
            let response = try await routes.receive(Request(head: head, body: body, id: "req-1"))
            #expect(response.status == .unauthorized)
            let logged = logs.lines
            #expect(logged.count == 1)
            #expect(logged.first?.hasPrefix("warning webhook refused") == true)
            #expect(logged.first?.contains("req-1") == true)
            #expect(!logged.joined().contains("very private note") && !logged.joined().contains(String(signature.suffix(64))))
        }
    }

    @Test func unreadableEventsAre400AndStoreNothing() async throws {
        try await withHarness { harness async throws in
            for text in [#"{"event_payload":"#, #"{"event":{"type":"treatment_plan.created"}}"#, #"{"event":{"id":"ev-1"}}"#,
                         #"{"something":"else"}"#, "[]"] {
                let response = try await harness.deliver(Array(text.utf8))
                #expect(response.status == 400, "\(text)")
                #expect(response.text.contains(#""code":"malformed_event""#))
            }
            #expect(try await harness.webhookEvents().isEmpty)
        }
    }

    @Test func aRepeatedDeliveryIsAcknowledgedAndChangesNothing() async throws {
        try await withHarness { harness async throws in
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            let before = try await harness.storedPlans()
            // The same event again, even carrying other content: the id decides.
            let repeated = try await harness.deliver(PlanEvent.body("ev-1", plan: PlanEvent.plan(updatedAt: "2024-06-01T00:00:00.000Z", message: "changed")))
            #expect(repeated.status == 200)
            #expect(repeated.text == Self.acknowledgement)
            // Events are processed one at a time in received order: once one delivered after the repeat is done,
            // anything the repeat set off would have happened.
            try await harness.deliverBarrier()
            #expect(try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1", ConnectedHarness.barrierRow])
            #expect(try await harness.storedPlans() == before)
        }
    }

    @Test func bodiesOverTheWebhookLimitAreRefused() async throws {
        try await withHarness { harness async throws in
            let body = Array(repeating: UInt8(ascii: " "), count: WebhookRoutes.maxBodySize + 1)
            #expect(try await harness.deliver(body).status == 413)
            #expect(try await harness.webhookEvents().isEmpty)
        }
    }

    @Test func duringARotationBothSecretsAreAccepted() async throws {
        try await withHarness(environment: ["FULLSCRIPT_WEBHOOK_SECRET": "new-secret, old-secret"]) { harness async throws in
            #expect(try await harness.deliver(PlanEvent.body("ev-new", plan: PlanEvent.plan("tp-1")), secret: "new-secret").status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-old", plan: PlanEvent.plan("tp-2")), secret: "old-secret").status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-x"), secret: ApplicationTests.webhookSecret).status == 401)
            #expect(try await eventually { try await harness.storedPlans().count == 2 })
        }
    }
}
