@testable import App
import Foundation
import ServerTesting
import Store
import Testing
import FullscriptSandbox

/// `GET /metrics` as Prometheus scrapes it, after the product has done some work.
struct MetricsRouteTests {
    static func scrape(_ harness: ConnectedHarness, key: String?) async throws -> TestResponse {
        try await harness.request("GET /metrics", headers: key.map { ["Authorization: Bearer \($0)"] } ?? [])
    }

    /// The value of the series `name{labels}`, where `labels` is the exact label text Prometheus shows.
    static func value(_ exposition: String, _ series: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func needsAnOperatorKey() async throws {
        try await withHarness(identity: nil) { harness in
            let anonymous = try await Self.scrape(harness, key: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("www-authenticate") == "Bearer")
            #expect(try await Self.scrape(harness, key: "fsr_sk_wrong").status == 401)
            let practice = try await ServiceKeyStore(database: harness.application.database).create(name: "practice", tenant: Tenant.defaultID)
            let refused = try await Self.scrape(harness, key: practice)
            #expect(refused.status == 403, "the numbers span every practice of the deployment")
            #expect(refused.text.contains("operator_key_required"))
        }
    }

    /// Live: request counts and open connections are the server's own metrics.
    @Test func countsClicksFullscriptCallsRefreshesWebhooksAndConnectionsByRouteNeverByPath() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(mode: .live)) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "prometheus", tenant: Tenant.defaultID, isOperator: true)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            for _ in 0..<3 { #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302) }
            #expect(try await harness.get("/recommend/p-secret-77", user: nil, cookie: session).status == 302)
            #expect(try await harness.get("/no/such/page-p-1001", user: nil).status == 404)
            #expect(try await harness.request("DELETE /no/such/page-p-1001", headers: []).status == 404)
            // An access token near its end is refreshed on the next click (of a new session: the first one has expired).
            harness.clock.advance(by: 7200 - 60)
            await harness.sandbox.advanceClock(by: 7200 - 60)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: try await harness.signIn()).status == 302)
            let event = PlanEvent.body("ev-metrics-1")
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await harness.deliver(event, secret: "not-the-secret").status == 401)

            let scrape = try await Self.scrape(harness, key: key)
            #expect(scrape.status == 200)
            #expect(scrape.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(scrape.header("cache-control") == "no-store")
            let text = scrape.text
            #expect(Self.value(text, #"http_requests_total{method="GET",route="/recommend/:patientId",status="302"}"#) == 5)
            #expect(Self.value(text, #"http_requests_total{method="GET",route="static",status="404"}"#) == 1)
            #expect(Self.value(text, #"http_requests_total{method="DELETE",route="unmatched",status="404"}"#) == 1)
            #expect(Self.value(text, #"http_request_duration_seconds_count{method="GET",route="/recommend/:patientId",status="302"}"#) == 5)
            // The patient's first click drafts by email; the next ones name the patient by id (the gateway link).
            #expect(Self.value(text, #"fullscript_requests_total{endpoint="create_draft_treatment_plan_link",outcome="ok"}"#) == 1)
            #expect(Self.value(text, #"fullscript_requests_total{endpoint="create_gateway_treatment_plan_link",outcome="ok"}"#) == 3)
            #expect(Self.value(text, #"fullscript_requests_total{endpoint="new_treatment_plan_link",outcome="ok"}"#) == 1)
            #expect(Self.value(text, #"fullscript_request_duration_seconds_count{endpoint="request_token",outcome="ok"}"#) == 2)
            #expect(Self.value(text, #"fullscript_token_refreshes_total{outcome="refreshed"}"#) == 1)
            #expect(Self.value(text, #"fullscript_webhook_events_total{type="treatment_plan.created",outcome="accepted"}"#) == 1)
            #expect(Self.value(text, #"fullscript_webhook_events_total{type="treatment_plan.created",outcome="duplicate"}"#) == 1)
            #expect(Self.value(text, #"fullscript_webhook_events_total{type="other",outcome="rejected"}"#) == 1)
            #expect(Self.value(text, "http_open_connections").map { $0 >= 1 } == true, "the scrape's own connection is open")
            #expect(Self.value(text, "plan_streams_open") == 0)
            #expect(!text.contains("p-secret-77") && !text.contains("page-p-1001"), "paths the client chose never become labels")
            #expect(!text.contains("ev-metrics-1"))
        }
    }

    @Test func webhookProcessingOutcomesAreCounted() async throws {
        try await withHarness(identity: nil) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "prometheus", tenant: Tenant.defaultID, isOperator: true)
            #expect(try await harness.deliver(PlanEvent.body("ev-ignored", type: "patient.updated")).status == 200)
            let counted = try await eventually {
                let text = try await Self.scrape(harness, key: key).text
                return Self.value(text, #"fullscript_webhook_events_total{type="other",outcome="ignored"}"#) == 1
            }
            #expect(counted)
        }
    }
}
