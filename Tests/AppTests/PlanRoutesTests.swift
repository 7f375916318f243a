@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import HTTPTypes
import ServerTesting
import Store
import Testing
import HTTPClient
import Server

/// Treatment plans on the chart: the list, the live stream over loopback (signed-in EHR sessions, a fast
/// heartbeat), and the REST fallback against the simulator with webhooks off.
struct PlanRoutesTests {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)

    static func plan(_ id: String, of patient: String, state: TreatmentPlan.State = .active, created: TimeInterval = 0,
                     updated: TimeInterval = 0, message: String? = nil) -> TreatmentPlan {
        TreatmentPlan(
            id: id, state: state, createdAt: start + created, updatedAt: start + max(created, updated), personalMessage: message,
            invitationURL: "https://fs.example/invitations/\(id)", patientID: patient, practitionerID: "prac-1",
            recommendations: [Recommendation(variantID: "v-1", dosage: Dosage(amount: "1 capsule", frequency: "daily", duration: "30 days"))]
        )
    }

    /// alice and bob signed in; patients p-a and p-b mapped to Fullscript's fs-a and fs-b.
    static func charts(on harness: ConnectedHarness) async throws -> (alice: String, bob: String) {
        for (id, fullscriptID) in [("p-a", "fs-a"), ("p-b", "fs-b")] {
            try await harness.add(PatientRecord(ehrPatientID: id, email: "\(id)@example.com", createdAt: "", updatedAt: ""))
            try await harness.application.patients.recordMapping(ehrPatientID: id, fullscriptPatientID: fullscriptID, in: Tenant.defaultID, at: Date())
        }
        return (try await harness.signIn("alice"), try await harness.signIn("bob"))
    }

    // MARK: The list

    @Test func theListIsThePatientsPlansNewestFirstWithWhereToResume() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, _) = try await Self.charts(on: harness)
            try await harness.deliver(Self.plan("tp-old", of: "fs-a", message: "Start slowly"))
            try await harness.deliver(Self.plan("tp-new", of: "fs-a", state: .draft, created: 60))
            try await harness.deliver(Self.plan("tp-other", of: "fs-b"))

            let list = try await harness.get("/ehr/api/patients/p-a/treatment-plans", user: nil, cookie: alice)
            #expect(list.status == 200)
            #expect(list.header("cache-control") == "no-store")
            let body = try json(list)
            let plans = try #require(body["plans"] as? [[String: Any]])
            #expect(plans.map { $0["id"] as? String } == ["tp-new", "tp-old"])
            #expect(body["last_event_id"] as? Int == 2)
            let old = plans[1]
            #expect(old["state"] as? String == "active" && old["practitioner_id"] as? String == "prac-1")
            #expect(old["personal_message"] as? String == "Start slowly" && old["change_seq"] as? Int == 1)
            #expect(old["invitation_url"] as? String == "https://fs.example/invitations/tp-old")
            #expect(old["created_at"] as? String == "2026-01-01T00:00:00.000Z")
            let recommendation = try #require((old["recommendations"] as? [[String: Any]])?.first)
            #expect(recommendation["variant_id"] as? String == "v-1")
            #expect((recommendation["dosage"] as? [String: Any])?["frequency"] as? String == "daily")

            let empty = try await json(harness.get("/ehr/api/patients/p-b/treatment-plans", user: nil, cookie: alice))
            #expect((empty["plans"] as? [Any])?.count == 1)
            #expect(try await harness.get("/ehr/api/patients/p-a/treatment-plans", user: nil).status == 401)
            #expect(try await harness.get("/ehr/api/patients/bad%20id/treatment-plans", user: nil, cookie: alice).status == 400)
            #expect(try await harness.get("/ehr/api/patients/p-none/treatment-plans", user: nil, cookie: alice).status == 404)
            _ = try await harness.application.patients.delete("p-b", in: Tenant.defaultID, audit: AuditEntry(tenant: Tenant.defaultID, actor: "t", action: "patient.delete", outcome: "ok"), at: Date())
            #expect(try await harness.get("/ehr/api/patients/p-b/treatment-plans", user: nil, cookie: alice).status == 410)
        }
    }

    // MARK: The stream

    @Test func aChangeReachesThatPatientsChartOnly() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, bob) = try await Self.charts(on: harness)
            let (chartA, readyA) = try await harness.readyStream("p-a", session: alice)
            #expect(chartA.headers["content-type"] == "text/event-stream")
            #expect(chartA.headers["cache-control"] == "no-store")
            #expect(chartA.headers["x-accel-buffering"] == "no")
            #expect(readyA.id == "0" && readyA.data == #"{"last_event_id":0}"#)
            let (chartB, _) = try await harness.readyStream("p-b", session: bob)

            try await harness.deliver(Self.plan("tp-1", of: "fs-a"))
            let (event, _) = try await chartA.nextEvent()
            #expect(event.event == "plan" && event.id == "1")
            let plan = try #require(try JSONSerialization.jsonObject(with: Data((event.data ?? "").utf8)) as? [String: Any])
            #expect(plan["id"] as? String == "tp-1" && plan["change_seq"] as? Int == 1 && plan["state"] as? String == "active")
            // Each heartbeat re-reads what changed, so a heartbeat with nothing before it means nothing was sent.
            #expect(try await chartB.untilHeartbeat().allSatisfy { $0.event == nil })

            #expect(try await harness.planStream("p-a", session: nil).status == 401)
            #expect(try await harness.planStream("bad%20id", session: alice).status == 400)
            _ = try await harness.application.patients.delete("p-b", in: Tenant.defaultID, audit: AuditEntry(tenant: Tenant.defaultID, actor: "t", action: "patient.delete", outcome: "ok"), at: Date())
            #expect(try await harness.planStream("p-b", session: alice).status == 410)
        }
    }

    /// A click in another tab links the patient: the open chart hears it (a `patient` event, no id, so
    /// the plans' resume point stays), without a reload; only once.
    @Test func aClickThatLinksThePatientTellsTheOpenChart() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(mode: .live)) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let (chart, _) = try await harness.readyStream("p-1001", session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let linked = try #require(try await harness.mapping(of: "p-1001"))

            let (event, _) = try await chart.nextEvent()
            #expect(event.event == "patient" && event.id == nil)
            let patient = try #require(try JSONSerialization.jsonObject(with: Data((event.data ?? "").utf8)) as? [String: Any])
            #expect(patient["id"] as? String == "p-1001" && patient["fullscript_patient_id"] as? String == linked)

            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            #expect(try await chart.untilHeartbeat().allSatisfy { $0.event == nil }, "a click on a linked patient says nothing new")
        }
    }

    @Test func resumingSendsExactlyTheMissedChanges() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, _) = try await Self.charts(on: harness)
            let (first, _) = try await harness.readyStream("p-a", session: alice)
            try await harness.deliver(Self.plan("tp-1", of: "fs-a"))
            #expect(try await first.nextEvent().event.id == "1")
            first.disconnect()

            try await harness.deliver(Self.plan("tp-2", of: "fs-a", created: 10))
            try await harness.deliver(Self.plan("tp-x", of: "fs-b"))
            try await harness.deliver(Self.plan("tp-1", of: "fs-a", state: .cancelled, updated: 20))
            try await harness.deliver(Self.plan("tp-1", of: "fs-a", state: .draft, updated: 5))  // older: changes nothing

            func missed(_ headers: [String] = [], query: String = "") async throws -> [String] {
                let stream = try await harness.planStream("p-a", session: alice, headers: headers, query: query)
                let frames = try await stream.untilHeartbeat()
                #expect(frames.first?.description == "retry: 2000")
                return frames.compactMap { frame in frame.event.map { "\($0) \(frame.id ?? "-")" } }
            }
            #expect(try await missed(["Last-Event-ID: 1"]) == ["plan 2", "plan 4"])
            #expect(try await missed(query: "?last_event_id=2") == ["plan 4"])
            #expect(try await missed(["Last-Event-ID: 2"], query: "?last_event_id=0") == ["plan 4"], "EventSource's header wins")
            #expect(try await missed(["Last-Event-ID: 4"]).isEmpty)
            #expect(try await missed(["Last-Event-ID: 99"]) == ["plan 2", "plan 4"], "an id we never gave (a restored database) replays all")
            #expect(try await missed(["Last-Event-ID: junk"]) == ["ready 4"], "anything else starts from now")
        }
    }

    @Test func heartbeatsDoNotKeepTheSessionAliveAndItsEndClosesTheStream() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, _) = try await Self.charts(on: harness)
            let (stream, _) = try await harness.readyStream("p-a", session: alice)
            #expect(try await stream.untilHeartbeat().map(\.description) == [": heartbeat"])
            harness.clock.advance(by: 20 * 60)
            _ = try await stream.untilHeartbeat()
            _ = try await stream.untilHeartbeat()
            // 35 idle minutes since sign-in, 15 since the last checks: only a check that counted as activity would keep it.
            harness.clock.advance(by: 15 * 60)
            let (end, _) = try await stream.nextEvent()
            #expect(end.event == "end" && end.data == #"{"reason":"signed_out"}"#)
            await #expect(throws: TestClientError.self) { try await stream.next() }
            #expect(stream.ended, "the response ended cleanly with its last chunk")
            #expect(try await harness.waitFor(openStreams: 0))
        }
    }

    @Test func aUserHoldsAtMostTheLimitOfStreams() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, bob) = try await Self.charts(on: harness)
            let limit = harness.application.planUpdates.perUserLimit
            var streams: [EventStreamReader] = []
            for _ in 0..<limit { streams.append(try await harness.readyStream("p-a", session: alice).stream) }
            let refused = try await harness.planStream("p-b", session: alice)
            #expect(refused.status == 429)
            #expect(refused.body.contains(#""code":"too_many_streams""#))
            let bobs = try await harness.readyStream("p-a", session: bob).stream
            streams[0].disconnect()
            #expect(try await harness.waitFor(openStreams: limit))
            #expect(try await harness.readyStream("p-b", session: alice).stream.status == 200)
            #expect(bobs.status == 200, "another user's streams do not count")
        }
    }

    @Test func aClosedTabOrAnUnsentStreamFreesItsSubscription() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, _) = try await Self.charts(on: harness)
            let (stream, _) = try await harness.readyStream("p-a", session: alice)
            #expect(harness.application.planUpdates.openStreams == 1)
            stream.disconnect()
            #expect(try await harness.waitFor(openStreams: 0))

            // HEAD answers the head only: the stream never runs, and dropping it ends the subscription.
            let head = try await TestClient(port: harness.application.port)
            await head.send("HEAD /ehr/api/patients/p-a/treatment-plans/events HTTP/1.1\r\nHost: x\r\nCookie: \(alice)\r\n\r\n")
            #expect(try await head.readResponse(head: true).status == 200)
            #expect(try await harness.waitFor(openStreams: 0))
        }
    }

    @Test func shutdownEndsOpenStreamsWithoutWaiting() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live, shutdownGracePeriod: .seconds(30))) { harness in
            let (alice, _) = try await Self.charts(on: harness)
            let (stream, _) = try await harness.readyStream("p-a", session: alice)
            let start = ContinuousClock.now
            await harness.application.server.shutdown()
            let drained = ContinuousClock.now - start
            // A stream holding the drain would take the whole 30 s grace period.
            #expect(drained < .seconds(15), "\(drained)")
            #expect(try await harness.waitFor(openStreams: 0))
            var frames = 0
            while (try? await stream.next()) != nil, frames < 100 { frames += 1 }
            #expect(frames < 100, "the connection was closed")
        }
    }

    // MARK: Refresh, with webhooks off

    /// A click on the button made a draft for Jordan (p-1001), which the practitioner activated in the simulator.
    static func activatePlan(on harness: ConnectedHarness) async throws -> (session: String, planID: String, fullscriptPatientID: String) {
        let session = try await harness.signIn()
        try await harness.connect(session: session)
        let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
        let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
        guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID),
              let fullscriptPatientID = patient.fullscriptPatientID else { throw TestClientError.malformed("no mapping after the click") }
        try await harness.activate(planID, patient: fullscriptPatientID)
        return (session, planID, fullscriptPatientID)
    }

    @Test func refreshShowsThePlanActivatedInFullscriptAndTellsOpenCharts() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(mode: .live)) { harness in
            let (session, planID, fullscriptPatientID) = try await Self.activatePlan(on: harness)
            let (stream, _) = try await harness.readyStream("p-1001", session: session)

            let refreshed = try await harness.refreshPlans("p-1001", session: session)
            #expect(refreshed.status == 200)
            let body = try json(refreshed)
            let plan = try #require((body["plans"] as? [[String: Any]])?.first)
            #expect(plan["id"] as? String == planID && plan["state"] as? String == "active")
            #expect(plan["fullscript_patient_id"] as? String == fullscriptPatientID && plan["practitioner_id"] as? String == "prac-1")
            #expect(plan["personal_message"] as? String == "Take these with food")
            #expect((plan["invitation_url"] as? String)?.hasSuffix("/sandbox/plans/\(planID)/invitation") == true)
            let recommendation = try #require((plan["recommendations"] as? [[String: Any]])?.first)
            #expect(recommendation["variant_id"] as? String == "variant-1001")
            #expect((recommendation["dosage"] as? [String: Any])?["amount"] as? String == "1 capsule")
            #expect(body["last_event_id"] as? Int == plan["change_seq"] as? Int)
            let (event, _) = try await stream.nextEvent()
            #expect(event.event == "plan" && event.data?.contains(#""state":"active""#) == true)

            // Nothing new: the list is read again, no plan's details are.
            func detailCalls() async -> Int { await harness.sandbox.recordedRequests().filter { $0.path.contains("/clinic/treatment_plans/") }.count }
            #expect(await detailCalls() == 1)
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
            #expect(await detailCalls() == 1)

            #expect(try await harness.refreshPlans("p-1001", session: session, site: "same-site").status == 403)
            #expect(try await harness.refreshPlans("p-1001", session: session, site: "cross-site").status == 403)
            #expect(try await harness.refreshPlans("p-1001", session: session, site: nil).status == 403, "neither Fetch metadata nor Origin")
            #expect(try await harness.refreshPlans("p-1001", session: session, site: nil, origin: "http://127.0.0.1:9").status == 200,
                    "a browser without Fetch metadata sends Origin")
            #expect(try await harness.refreshPlans("p-1001", session: session, site: nil, origin: "http://127.0.0.1:8").status == 403)
            #expect(try await harness.refreshPlans("p-1001", session: "fsr_session=nobody").status == 401)
            let notConnected = try await harness.refreshPlans("p-1001", session: try await harness.signIn("bob"))
            #expect(notConnected.status == 409)
            #expect(notConnected.text.contains(#""code":"fullscript_not_connected""#))
        }
    }

    @Test func servicesRefreshThroughTheFirstConnectedPractitioner() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let bearer = ["Authorization: Bearer \(key)"]
            let early = try await harness.request("GET /api/v1/patients/p-1001/treatment-plans", headers: bearer)
            #expect(early.status == 409)
            #expect(early.text.contains("No practitioner has connected"))

            try await harness.connect(session: try await harness.signIn("sam-ortiz"), as: "staff-1")
            harness.clock.advance(by: 1)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            harness.clock.advance(by: 1)
            try await harness.connect(session: try await harness.signIn("avery"), as: "prac-2")
            #expect(try await harness.application.vault.serviceConnection(in: Tenant.defaultID).user.id == "dr-quinn", "staff skipped, then the earliest")

            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID) else { Issue.record("patient lost"); return }
            try await harness.activate(planID, patient: try #require(patient.fullscriptPatientID))

            let answer = try await harness.request("GET /api/v1/patients/p-1001/treatment-plans", headers: bearer)
            #expect(answer.status == 200)
            #expect(((try json(answer))["plans"] as? [[String: Any]])?.first?["state"] as? String == "active")
            let anonymous = try await harness.request("GET /api/v1/patients/p-1001/treatment-plans", headers: [])
            #expect(anonymous.status == 401 && anonymous.header("www-authenticate") == "Bearer")
            #expect(try await harness.request("GET /api/v1/patients/bad%20id/treatment-plans", headers: bearer).status == 400)
            #expect(try await harness.request("GET /api/v1/patients/p-none/treatment-plans", headers: bearer).status == 404)
        }
    }

    @Test func anUnmappedPatientIsFoundByEmailAndRemembered() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID, fullscriptPatientID) = try await Self.activatePlan(on: harness)
            _ = try await harness.application.database.write { try $0.execute("DELETE FROM patient_mappings") }
            func searches() async -> Int { await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/search/patients") }.count }
            let before = await searches()

            let refreshed = try await json(harness.refreshPlans("p-1001", session: session))
            #expect((refreshed["plans"] as? [[String: Any]])?.map { $0["id"] as? String } == [planID])
            #expect(await searches() == before + 1)
            guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID) else { Issue.record("patient lost"); return }
            #expect(patient.fullscriptPatientID == fullscriptPatientID)

            try await harness.add(PatientRecord(ehrPatientID: "p-new", email: "nobody@example.com", createdAt: "", updatedAt: ""))
            let unknown = try await harness.refreshPlans("p-new", session: session)
            #expect(unknown.status == 200 && unknown.text == #"{"lab_orders":[],"last_event_id":0,"orders":[],"plans":[]}"#)
            try await harness.add(PatientRecord(ehrPatientID: "p-no-email", dateOfBirth: "1990-01-01", createdAt: "", updatedAt: ""))
            let calls = await harness.sandbox.recordedRequests().count
            #expect(try await harness.refreshPlans("p-no-email", session: session).text == #"{"lab_orders":[],"last_event_id":0,"orders":[],"plans":[]}"#)
            #expect(await harness.sandbox.recordedRequests().count == calls, "nothing to look up without an email")
        }
    }

    @Test func fullscriptFailuresGetTheButtonsStatuses() async throws {
        // A short deadline keeps the slow case short; long enough that every other answer comes within it on a
        // machine busy with other tests.
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_TIMEOUT_MS": "2500"])) { harness in
            let (session, _, _) = try await Self.activatePlan(on: harness)
            let cases: [(Fault, Int, String)] = [
                (.status(500), 502, "fullscript_unavailable"),
                (.status(422), 422, "fullscript_rejected"),
                (.status(429), 429, "fullscript_rate_limited"),
                (.status(403), 403, "fullscript_permission_missing"),
                (.latency(.milliseconds(3000)), 504, "fullscript_timed_out"),
                (.malformedJSON, 502, "fullscript_unavailable"),
            ]
            for (fault, status, code) in cases {
                await harness.sandbox.setFaults([fault])
                let refused = try await harness.refreshPlans("p-1001", session: session)
                #expect(refused.status == status, "\(fault)")
                #expect(refused.text.contains(#""code":"\#(code)""#), "\(fault): \(refused.text)")
                if status == 429 { #expect(refused.header("retry-after") != nil) }
                await harness.sandbox.clearFaults()
            }
            #expect(try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).isEmpty, "nothing merged from a failed refresh")
        }
    }

    @Test func refreshesRacingWebhooksLeaveOnePlanInItsNewestState() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID, fullscriptPatientID) = try await Self.activatePlan(on: harness)
            await harness.sandbox.setFaults([.latency(.milliseconds(20))])
            // Webhook deliveries of later changes than the one Fullscript's REST answers show (an hour on).
            let later = Date().addingTimeInterval(3600)
            let deliveries = (1...12).map { index in
                TreatmentPlan(id: planID, state: .cancelled, createdAt: later.addingTimeInterval(-7200), updatedAt: later.addingTimeInterval(Double(index)),
                              personalMessage: "webhook \(index)", patientID: fullscriptPatientID)
            }
            let statuses = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<3 { group.addTask { try await harness.refreshPlansAsync("p-1001", session: session) } }
                for delivery in deliveries.shuffled() {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...80)))
                        try await harness.deliver(delivery)
                        return nil
                    }
                }
                return try await group.reduce(into: [Int]()) { if let status = $1 { $0.append(status) } }
            }
            #expect(statuses == [200, 200, 200])
            let rows = try await harness.application.database.read { try $0.query("SELECT * FROM treatment_plans") }
            #expect(rows.count == 1)
            #expect(try rows.first?.string("personal_message") == "webhook 12")
            #expect(try rows.first?.string("state") == "cancelled")
            let afterwards = try await json(harness.refreshPlans("p-1001", session: session))
            #expect((afterwards["plans"] as? [[String: Any]])?.map { $0["personal_message"] as? String } == ["webhook 12"], "an older REST answer never wins")
        }
    }
}

private func json(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "\(response.text)")
}
