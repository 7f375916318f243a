@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Logging
import ServerTesting
import Store
import Testing

/// "Open in Fullscript" and "Cancel plan" at the HTTP boundary, against the simulator: what the user
/// gets, what Fullscript was asked, what was audited; then an attacker's reading of both routes.
struct PlanActionsTests {
    /// Jordan (p-1001) has an active plan, activated in the simulator and brought in by Refresh.
    static func activePlan(on harness: ConnectedHarness) async throws -> (session: String, planID: String) {
        let (session, planID, _) = try await PlanRoutesTests.activatePlan(on: harness)
        #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
        return (session, planID)
    }

    static func open(_ patient: String, _ plan: String, session: String, site: String? = "same-origin",
                     on harness: ConnectedHarness) async throws -> TestResponse {
        try await harness.request("GET /patients/\(patient)/plans/\(plan)/open",
                                  headers: ["Cookie: \(session)", "Accept: text/html"] + (site.map { ["Sec-Fetch-Site: \($0)"] } ?? []))
    }

    static func cancel(_ patient: String, _ plan: String, session: String, site: String? = "same-origin",
                       on harness: ConnectedHarness) async throws -> TestResponse {
        try await harness.request("POST /ehr/api/patients/\(patient)/treatment-plans/\(plan)/cancel",
                                  headers: ["Cookie: \(session)", "Content-Length: 0"] + (site.map { ["Sec-Fetch-Site: \($0)"] } ?? []))
    }

    /// Requests that reached the simulator's edit link or cancel endpoint.
    static func planActionCalls(_ harness: ConnectedHarness) async -> [String] {
        await harness.sandbox.recordedRequests()
            .filter { $0.path.hasPrefix("/api/clinic/dynamic_links/treatment_plans/") || $0.path.hasSuffix("/cancel") }
            .map { "\($0.method) \($0.path)" }
    }

    /// `action:plan:outcome:actor`, oldest first.
    static func planActionAudit(_ harness: ConnectedHarness) async throws -> [String] {
        try await harness.application.database.read { connection in
            try connection.query("SELECT action, subject, outcome, actor FROM audit_log WHERE action LIKE 'plan.%' ORDER BY id") { row in
                try ["action", "subject", "outcome", "actor"].map { try row.string($0) }.joined(separator: ":")
            }
        }
    }

    // MARK: Open in Fullscript

    @Test func openAnswersAFreshEditLinkPerClickNeverCached() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)

            let opened = try await Self.open("p-1001", planID, session: session, on: harness)
            #expect(opened.status == 302)
            #expect(opened.header("location") == "http://127.0.0.1/sandbox/plans/\(planID)?entrypoint=catalog")
            #expect(opened.header("cache-control") == "no-store")
            #expect(opened.header("referrer-policy") == "no-referrer")
            #expect(try await Self.open("p-1001", planID, session: session, on: harness).status == 302)
            #expect(await Self.planActionCalls(harness) == Array(repeating: "GET /api/clinic/dynamic_links/treatment_plans/\(planID)", count: 2),
                    "asked per click, never cached")
            #expect(try await Self.planActionAudit(harness) == Array(repeating: "plan.open:\(planID):redirected:dr-quinn", count: 2))

            // A draft opens too: a second click makes one for Jordan, which Refresh brings in.
            _ = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let plans = try await harness.refreshPlans("p-1001", session: session).json["plans"] as? [[String: Any]]
            let draft = try #require(plans?.first { $0["state"] as? String == "draft" }?["id"] as? String)
            #expect(try await Self.open("p-1001", draft, session: session, on: harness).header("location")?
                .hasPrefix("http://127.0.0.1/sandbox/plans/\(draft)") == true)
        }
    }

    @Test func aCancelledPlanGetsAPageWithANextStepAndFullscriptIsNotAsked() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            #expect(try await Self.cancel("p-1001", planID, session: session, on: harness).status == 200)
            let calls = await Self.planActionCalls(harness)

            let refused = try await Self.open("p-1001", planID, session: session, on: harness)
            #expect(refused.status == 409)
            #expect(refused.header("content-type")?.hasPrefix("text/html") == true)
            #expect(refused.text.contains("This plan is cancelled"))
            #expect(refused.text.contains(#"href="/recommend/p-1001">Recommend a new plan</a>"#))
            #expect(await Self.planActionCalls(harness) == calls)
            #expect(try await Self.planActionAudit(harness).last == "plan.open:\(planID):plan_not_editable:dr-quinn")
        }
    }

    @Test func openWithoutAConnectionGoesThroughConnectAndBack() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (_, planID) = try await Self.activePlan(on: harness)
            let avery = try await harness.signIn("avery")
            let opened = try await Self.open("p-1001", planID, session: avery, on: harness)
            #expect(opened.status == 303)
            #expect(opened.header("location") == OAuthConnectRoutes.connectPage(returningTo: "/patients/p-1001/plans/\(planID)/open"))
            #expect(try await Self.cancel("p-1001", planID, session: avery, on: harness).apiError["code"] as? String == "fullscript_not_connected")
        }
    }

    @Test func fullscriptsRefusalsOfTheEditLinkAreClearPages() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            for (status, expected, text) in [(404, 404, "Fullscript does not find this plan"), (403, 403, "Reconnect Fullscript"),
                                             (500, 502, "Fullscript is unavailable")] {
                await harness.sandbox.setFaults([.status(status)], pathPrefix: "/api/clinic/dynamic_links/")
                let refused = try await Self.open("p-1001", planID, session: session, on: harness)
                #expect(refused.status == expected, "\(status)")
                #expect(refused.text.contains(text), "\(status): \(refused.text)")
                #expect(refused.header("location") == nil)
                await harness.sandbox.clearFaults()
            }
        }
    }

    // MARK: Cancel

    @Test func cancelUpdatesTheChartFromTheAnswerThenTheWebhookChangesNothing() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(mode: .live)) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            let (chart, _) = try await harness.readyStream("p-1001", session: session)

            let cancelled = try await Self.cancel("p-1001", planID, session: session, on: harness)
            #expect(cancelled.status == 200, "\(cancelled.text)")
            let answer = try cancelled.json
            #expect(answer["id"] as? String == planID && answer["state"] as? String == "cancelled")
            #expect((answer["recommendations"] as? [[String: Any]])?.first?["product"] != nil, "shown as the chart shows plans")
            let (event, _) = try await chart.nextEvent()
            #expect(event.event == "plan" && event.data?.contains(#""state":"cancelled""#) == true)
            #expect(await Self.planActionCalls(harness) == ["PATCH /api/clinic/treatment_plans/\(planID)/cancel"])
            #expect(try await Self.planActionAudit(harness) == ["plan.cancel:\(planID):cancelled:dr-quinn"])
            let stored = try await harness.storedPlans()

            // The event Fullscript records for the cancellation, delivered: the chart already shows it.
            let token = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn"))).accessToken
            let events = try await harness.fullscript.execute(
                "GET /api/events/treatment_plans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
            let listed = try #require(try events.json["events"] as? [[String: Any]])
            let update = try #require(listed.first { $0["type"] as? String == "treatment_plan.updated" })
            let body = try JSONSerialization.data(withJSONObject: ["event": update])
            #expect(try await harness.deliver(Array(body)).status == 200)
            try await harness.deliverBarrier()
            #expect(try await harness.webhookEvents().first { $0.contains("treatment_plan.updated") }?.contains("|processed|") == true)
            #expect(try await harness.storedPlans() == stored, "idempotent: nothing moved")
            #expect(try await chart.untilHeartbeat().allSatisfy { $0.event == nil }, "nothing new for the chart")

            let again = try await Self.cancel("p-1001", planID, session: session, on: harness)
            #expect(try again.status == 409 && again.apiError["code"] as? String == "plan_not_active")
            #expect(await Self.planActionCalls(harness).count == 1, "a cancelled plan is not sent to Fullscript again")
        }
    }

    @Test func fullscriptsRefusalsOfTheCancelAreClearMessagesAndChangeNothing() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            let stored = try await harness.storedPlans()
            let cases: [(Int, Int, String, String)] = [
                (422, 422, "fullscript_rejected", "Fullscript said"), (404, 404, "fullscript_plan_not_found", "Fullscript does not find this plan"),
                (403, 403, "fullscript_permission_missing", "another practitioner"), (500, 502, "fullscript_unavailable", "Try again"),
            ]
            for (status, expected, code, message) in cases {
                await harness.sandbox.setFaults([.status(status)], pathPrefix: "/api/clinic/treatment_plans/")
                let refused = try await Self.cancel("p-1001", planID, session: session, on: harness)
                #expect(refused.status == expected, "\(status)")
                #expect(try refused.apiError["code"] as? String == code, "\(status): \(refused.text)")
                #expect((try refused.apiError["message"] as? String)?.contains(message) == true, "\(status): \(refused.text)")
                await harness.sandbox.clearFaults()
            }
            #expect(try await harness.storedPlans() == stored)
            #expect(try await Self.planActionAudit(harness).map { $0.split(separator: ":")[2] } ==
                    ["fullscript_rejected", "fullscript_plan_not_found", "fullscript_permission_missing", "fullscript_unavailable"])
        }
    }

    /// The simulator itself: a draft cannot be cancelled (422), another clinic's plan is not found (404).
    @Test func theSimulatorCancelsActivePlansOfItsOwnClinicOnly() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let draft = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            let mine = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn"))).accessToken
            let code = await harness.sandbox.issueCode(for: "prac-4", redirectURI: ConnectedHarness.redirectURI)
            let grant = #"{"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret","code":"\#(code)","redirect_uri":"\#(ConnectedHarness.redirectURI)"}"#
            let issued = try await harness.fullscript.execute("POST /api/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(grant.utf8.count)\r\n\r\n\(grant)")
            let theirs = try #require((try issued.json["oauth"] as? [String: Any])?["access_token"] as? String, "\(issued.text)")
            func cancel(_ id: String, _ token: String) async throws -> TestResponse {
                try await harness.fullscript.execute(
                    "PATCH /api/clinic/treatment_plans/\(id)/cancel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 0\r\n\r\n")
            }
            #expect(try await cancel(draft, mine).status == 422)
            #expect(try await cancel(planID, theirs).status == 404)
            let done = try await cancel(planID, mine)
            #expect(try done.status == 200 && (done.json["treatment_plan"] as? [String: Any])?["state"] as? String == "cancelled")
            #expect(try await cancel(planID, mine).status == 422)
            let edit = try await harness.fullscript.execute(
                "GET /api/clinic/dynamic_links/treatment_plans/\(planID) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(mine)\r\n\r\n")
            #expect(edit.status == 404, "only draft and active plans have an edit link")
        }
    }

    // MARK: An attacker's reading

    /// Another site's request, with or without Fetch metadata: refused before the route, nothing sent to Fullscript.
    @Test func holdsCrossSiteRequests() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            for site in ["cross-site", "same-site", nil] {
                #expect(try await Self.cancel("p-1001", planID, session: session, site: site, on: harness).status == 403, "\(site ?? "none")")
            }
            let forged = try await harness.request("POST /ehr/api/patients/p-1001/treatment-plans/\(planID)/cancel",
                                                   headers: ["Cookie: \(session)", "Content-Length: 0", "Origin: https://evil.example"])
            #expect(forged.status == 403)
            #expect(try await Self.open("p-1001", planID, session: session, site: "cross-site", on: harness).status == 403)
            #expect(await Self.planActionCalls(harness).isEmpty)
            #expect(try await harness.storedPlans().first?.contains("|active|") == true)
        }
    }

    /// A viewer reads the plan but neither opens nor cancels it; a session bound to another patient
    /// reaches neither; one bound to this patient does.
    @Test func holdsViewersAndSessionsBoundToAnotherPatient() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (_, planID) = try await Self.activePlan(on: harness)
            let viewer = try await LaunchClaimsTests.session(#""roles":["viewer"]"#, on: harness)
            #expect(try await Self.open("p-1001", planID, session: viewer, on: harness).status == 403)
            let refused = try await Self.cancel("p-1001", planID, session: viewer, on: harness)
            #expect(try refused.status == 403 && refused.apiError["code"] as? String == "role_not_permitted")
            #expect(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: viewer).status == 200)

            let other = try await LaunchClaimsTests.session(#""patient":"p-2""#, on: harness)
            #expect(try await Self.open("p-1001", planID, session: other, on: harness).status == 403)
            let bound = try await Self.cancel("p-1001", planID, session: other, on: harness)
            #expect(try bound.status == 403 && bound.apiError["code"] as? String == "patient_not_in_session")
            // Bound to p-2, naming p-2 in the path and Jordan's plan id: the plan is not on p-2's chart.
            #expect(try await Self.open("p-2", planID, session: other, on: harness).status == 404)
            #expect(try await Self.cancel("p-2", planID, session: other, on: harness).apiError["code"] as? String == "plan_not_found")
            #expect(await Self.planActionCalls(harness).isEmpty)

            let jordans = try await LaunchClaimsTests.session(#""patient":"p-1001""#, on: harness)
            #expect(try await Self.open("p-1001", planID, session: jordans, on: harness).status == 302, "the plan id is the patient's own")
        }
    }

    /// Plan ids of another patient, of an unmapped patient, of another practice, and ids with path
    /// characters: each stops at our store, before Fullscript.
    @Test func holdsPlanIdsThatAreNotThisChartsPlan() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID) = try await Self.activePlan(on: harness)
            try await harness.add(PatientRecord(ehrPatientID: "p-2002", email: "casey@example.com", createdAt: "", updatedAt: ""))
            #expect(try await Self.open("p-2002", planID, session: session, on: harness).status == 404, "another, unmapped patient")
            #expect(try await Self.cancel("p-2002", planID, session: session, on: harness).status == 404)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-2002", fullscriptPatientID: "pat-elsewhere", in: Tenant.defaultID, at: Date())
            #expect(try await Self.cancel("p-2002", planID, session: session, on: harness).status == 404, "another, mapped patient")
            #expect(try await Self.open("p-none", planID, session: session, on: harness).status == 404)

            try await TenancyTests.addLakeside(harness)
            try await harness.application.patients.upsert(
                PatientRecord(ehrPatientID: "p-1001", email: "j@example.com", createdAt: "", updatedAt: ""), in: TenancyTests.lakeside,
                audit: AuditEntry(tenant: TenancyTests.lakeside, actor: "test", action: "patient.upsert", outcome: "ok"), at: Date())
            let away = try await harness.signIn("dr-quinn", tenant: TenancyTests.lakeside)
            #expect(try await Self.open("p-1001", planID, session: away, on: harness).status == 404, "another practice")
            #expect(try await Self.cancel("p-1001", planID, session: away, on: harness).status == 404)

            for id in ["..%2F..%2Fclinic", "plan%2F1", "plan%3F1", "%2E%2E", String(repeating: "a", count: 129), "plan%00"] {
                #expect([400, 404].contains(try await Self.open("p-1001", id, session: session, on: harness).status), "\(id)")
                #expect([400, 404].contains(try await Self.cancel("p-1001", id, session: session, on: harness).status), "\(id)")
            }
            #expect(await Self.planActionCalls(harness).isEmpty)
            #expect(try await harness.storedPlans().first?.contains("|active|") == true)
        }
    }

    /// A redirect_url that is not Fullscript's page is not followed: here the simulator's pages claim to be elsewhere.
    @Test func holdsALinkToAPageThatIsNotFullscripts() async throws {
        let harness = try await ConnectedHarness(identity: nil) { $0.publicBaseURL = "https://evil.example" }
        try await withHarness(harness) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 502 && click.header("location") == nil, "the click's link is held the same way")
            let plans = try await harness.refreshPlans("p-1001", session: session).json["plans"] as? [[String: Any]]
            let draft = try #require(plans?.first?["id"] as? String)

            let opened = try await Self.open("p-1001", draft, session: session, on: harness)
            #expect(opened.status == 502 && opened.header("location") == nil)
            #expect(!opened.text.contains("evil.example"))
            #expect(try await Self.planActionAudit(harness) == ["plan.open:\(draft):fullscript_unavailable:dr-quinn"])
        }
    }

    /// The redirect URL opens Fullscript as the practitioner: it never reaches a log, not even at debug.
    @Test func theRedirectURLIsNeverLogged() async throws {
        let logs = LogCapture()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        try await withHarness(identity: nil, logger: logger) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let (session, planID) = try await Self.activePlan(on: harness)
            let opened = try await Self.open("p-1001", planID, session: session, on: harness)
            let location = try #require(opened.header("location"))
            #expect(logs.lines.contains { $0.contains("dynamic_links/treatment_plans/\(planID)") }, "the capture saw the call")
            let leaked = logs.lines.filter { $0.contains("\(planID)?entrypoint") || $0.contains("\(planID)\\/?entrypoint") }
            #expect(leaked.isEmpty, "\(location) logged: \(leaked)")
        }
    }
}
