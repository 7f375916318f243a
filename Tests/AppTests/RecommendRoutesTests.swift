@testable import App
import Foundation
import FullscriptSandbox
import ServerTesting
import Store
import Testing
import Server

/// Every path of a click on "Recommend with Fullscript", over loopback against the simulator.
struct RecommendRoutesTests {
    static let jordan = PatientRecord(ehrPatientID: "p-1001", email: "jordan.rivera@example.com", firstName: "Jordan", lastName: "Rivera",
                                      dateOfBirth: "1984-03-12", gender: "x", mobileNumber: "+15555550101", createdAt: "", updatedAt: "")

    static func harness(_ environment: [String: String] = [:], mode: TestMode = .router) async throws -> ConnectedHarness {
        let harness = try await ConnectedHarness(mode: mode, identity: nil, environment: environment)
        try await harness.add(jordan)
        return harness
    }

    @Test func aConnectedPractitionerGetsAFreshDraftLinkForTheKnownPatient() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)

            let first = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(first.status == 302)
            let location = try #require(first.header("location"))
            #expect(location.hasPrefix("http://127.0.0.1/sandbox/plans/") && location.hasSuffix("entrypoint=catalog"))
            #expect(first.header("cache-control") == "no-store")
            #expect(first.header("referrer-policy") == "no-referrer")
            let second = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(second.header("location") != location, "a fresh link per click, never cached")

            let drafts = await harness.sandbox.recordedRequests().filter { $0.method == "POST" && $0.path.hasSuffix("/dynamic_links/treatment_plans") }
            #expect(drafts.count == 1, "the second click names the patient by id, through the gateway link")
            #expect(await harness.planLinkRequests().count == 2)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(drafts[0].body)) as? [String: Any])
            #expect((body["treatment_plan"] as? [String: String])?["practitioner_id"] == "prac-1")
            let patient = try #require(body["patient"] as? [String: Any])
            #expect(patient["email"] as? String == "jordan.rivera@example.com" && patient["first_name"] as? String == "Jordan"
                && patient["date_of_birth"] as? String == "1984-03-12")
            #expect(patient["send_welcome_email"] as? String == "false")

            let mapping = try await harness.application.patients.find("p-1001", in: Tenant.defaultID)
            guard case .found(let record) = mapping else { Issue.record("patient lost"); return }
            #expect(record.fullscriptPatientID?.hasPrefix("pat-") == true)
            let rows = try await harness.recommendations()
            #expect(rows.suffix(2).map { $0.split(separator: "|").prefix(6).joined(separator: "|") }
                == ["dr-quinn|p-1001|prac-1|draft|catalog|redirected", "dr-quinn|p-1001|prac-1|gateway|catalog|redirected"],
                "each click recorded as the link it used")
            #expect(rows.allSatisfy { !$0.contains("jordan") }, "no patient details in the audit trail")
        }
    }

    @Test func withoutAPatientIdInTheAnswerTheMappingComesFromASearchByEmail() async throws {
        try await withHarness(identity: nil, sandboxConfiguration: { $0.draftLinkNamesPatient = false }) { harness in
            try await harness.add(Self.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let searches = await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/search/patients") }
            #expect(searches.count == 1)
            guard case .found(let record) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID) else { Issue.record("patient lost"); return }
            #expect(record.fullscriptPatientID?.hasPrefix("pat-") == true)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            #expect(await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/search/patients") }.count == 1, "searched once")
        }
    }

    @Test func anUnknownPatientOrOneWithoutEmailGetsTheNewPlanLinkAndLabsPassThrough() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            try await harness.add(PatientRecord(ehrPatientID: "p-2", dateOfBirth: "1990-01-01", createdAt: "", updatedAt: ""))
            for id in ["p-unknown", "p-2"] {
                let answer = try await harness.get("/recommend/\(id)?entrypoint=labs", user: nil, cookie: session)
                #expect(answer.status == 302)
                #expect(answer.header("location")?.hasSuffix("entrypoint=labs") == true)
            }
            let links = await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/dynamic_links/treatment_plans") }
            #expect(links.map(\.method) == ["GET", "GET"])
            #expect(links.allSatisfy { $0.query == "entrypoint=labs" })
            #expect(try await harness.get("/recommend/p-1001?entrypoint=pharmacy", user: nil, cookie: session).status == 400)
            #expect(try await harness.get("/recommend/bad%20id", user: nil, cookie: session).status == 400)
        }
    }

    @Test func withoutASessionTheClickIsRefusedOrSentToSignIn() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let page = try await harness.get("/recommend/p-1001", user: nil)
            #expect(page.status == 401)
            #expect(page.text.contains("Sign in through your EHR"))
            let json = try await harness.request("GET /recommend/p-1001", headers: ["Accept: application/json"])
            #expect(json.status == 401)
            #expect(json.text.contains(#""code":"not_signed_in""#))

            try await withHarness(identity: nil, environment: ["EHR_DEMO_SIGN_IN": "true"]) { demo in
                let sent = try await demo.get("/recommend/p-1001?entrypoint=labs", user: nil)
                #expect(sent.status == 303)
                #expect(sent.header("location") == "/demo/sign-in?return_to=%2Frecommend%2Fp-1001%3Fentrypoint%3Dlabs")
            }
        }
    }

    @Test func aCrossSiteClickIsRefusedEvenWithACookie() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let answer = try await harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "Sec-Fetch-Site: cross-site"])
            #expect(answer.status == 403)
            #expect(answer.text.contains("Open this from the EHR"))
            #expect(await harness.sandbox.recordedRequests().allSatisfy { !$0.path.contains("dynamic_links") })
        }
    }

    @Test func theFirstClickWithoutAConnectionGoesThroughConsentAndComesBack() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            let click = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(click.status == 303)
            let connect = try #require(click.header("location"))
            #expect(connect == "/oauth/fullscript/connect?return_to=%2Frecommend%2Fp-1001%3Fentrypoint%3Dlabs")

            let page = try await harness.get(connect, user: nil, cookie: session)
            #expect(page.status == 200)
            #expect(page.text.contains("Connect your Fullscript account to continue"))
            #expect(page.text.contains(#"name="return_to" value="/recommend/p-1001?entrypoint=labs""#))
            let started = try await harness.startConnect(returnTo: "/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            let binding = try #require(started.header("set-cookie")?.split(separator: ";").first.map(String.init))
            let authorizeLocation = try #require(started.header("location"))
            let authorize = try #require(URLComponents(string: authorizeLocation))
            let approved = try await harness.fullscript.execute("GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=prac-1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let backLocation = try #require(approved.header("location"))
            let back = try #require(URLComponents(string: backLocation))
            // Arriving from Fullscript's site the browser sends only the Lax binding cookie, not the session.
            let continued = try await harness.get("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", user: nil, cookie: binding)
            #expect(continued.text.contains("url=/recommend/p-1001?entrypoint=labs"))
            let landed = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(landed.status == 302)
            #expect(landed.header("location")?.contains("/sandbox/plans/") == true)
            #expect(try await harness.recommendations().map { $0.split(separator: "|", omittingEmptySubsequences: false)[5] } == ["connect_required", "redirected"])
        }
    }

    @Test func aDeadConnectionStartsTheConnectFlowAgain() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.revokeAllTokens(ofUser: "prac-1")
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 303)
            #expect(click.header("location")?.hasPrefix("/oauth/fullscript/connect?return_to=") == true)
            #expect(try await harness.application.vault.resourceOwnerType(of: EHRUser(id: "dr-quinn")) == nil)
            let mapping = try await harness.application.database.read { try $0.query("SELECT * FROM patient_mappings") }
            #expect(mapping.isEmpty, "nothing half-written")
        }
    }

    @Test func staffPickAPractitionerOnceAndTheChoiceIsRemembered() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")

            let picker = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(picker.status == 200)
            #expect(picker.text.contains("Which practitioner"))
            #expect(picker.text.contains(#"<form method="get" action="/recommend/p-1001" class="picker""#))
            #expect(picker.text.contains(#"<input type="hidden" name="entrypoint" value="labs">"#), "the form keeps the entrypoint")
            for id in ["prac-1", "prac-2", "prac-3"] {
                #expect(picker.text.contains(#"<input type="radio" name="practitioner_id" value="\#(id)" required>"#), "nothing preselected")
            }
            #expect(picker.text.contains(#"<input type="checkbox" name="remember" value="1" id="remember" checked"#))
            #expect(picker.text.contains("your next click asks again"), "it says what happens next time")
            #expect(!picker.text.contains("current choice"))
            #expect(try await harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "Accept: application/json"]).status == 409)

            let wrong = try await harness.get("/recommend/p-1001?practitioner_id=prac-99&remember=1", user: nil, cookie: session)
            #expect(wrong.status == 200)
            #expect(wrong.text.contains(#"<p class="notice notice--error" role="alert" id="picker-problem">That practitioner is not in your Fullscript clinic"#))

            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-2&remember=1", user: nil, cookie: session).status == 302)
            #expect(try await harness.application.staffChoice("sam-ortiz") == .init(practitionerID: "prac-2", name: "Morgan Lee"))
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "the choice is remembered")
            let drafts = await harness.planLinkRequests()
            #expect(drafts.count == 2)
            #expect(drafts.allSatisfy { String(decoding: $0.body, as: UTF8.self).contains(#""practitioner_id":"prac-2""#) })

            // Change: the picker again, the remembered practitioner preselected and marked.
            let change = try await harness.get("/recommend/p-1001?choose_practitioner=1", user: nil, cookie: session)
            #expect(change.status == 200)
            #expect(change.text.contains(#"<label class="choice choice--current"><input type="radio" name="practitioner_id" value="prac-2" required checked>"#))
            #expect(change.text.contains(#"<span class="practitioner">Morgan Lee</span> <span class="choice__current">(current choice)</span>"#))
            #expect(!change.text.contains(#"value="prac-1" required checked"#))
            #expect(try await harness.recommendations().last?.contains("|practitioner_required|") == true)
        }
    }

    /// Without "remember" (the form's box unticked: `remember=0`), the choice makes this plan only, and
    /// the next click asks again.
    @Test func aChoiceNotRememberedServesOneClickAndTheNextOneAsksAgain() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")
            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-3&remember=1", user: nil, cookie: session).status == 302)
            let picker = try await harness.get("/recommend/p-1001?choose_practitioner=1", user: nil, cookie: session)
            let unticked = #"<input type="hidden" name="remember" value="0"><p class="remember"><label><input type="checkbox" name="remember" value="1""#
            #expect(picker.text.contains(unticked), "an unticked box still answers: remember=0")
            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-2&remember=0", user: nil, cookie: session).status == 302)
            let drafts = await harness.planLinkRequests()
            #expect(String(decoding: try #require(drafts.last).body, as: UTF8.self).contains(#""practitioner_id":"prac-2""#))
            #expect(try await harness.application.staffChoice("sam-ortiz") == nil)
            let next = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(next.status == 200 && next.text.contains("Which practitioner"), "asked again")
        }
    }

    /// Seen in review: the drop-in button's `practitioner-id` (a bare `practitioner_id`, no picker answer)
    /// silently erased the remembered choice. Only the picker's answer changes it; Disconnect forgets it.
    @Test func aBarePractitionerIDLeavesTheRememberedChoiceAndDisconnectForgetsIt() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")
            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-3&remember=1", user: nil, cookie: session).status == 302)
            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-2", user: nil, cookie: session).status == 302)
            let drafts = await harness.planLinkRequests()
            #expect(String(decoding: try #require(drafts.last).body, as: UTF8.self).contains(#""practitioner_id":"prac-2""#))
            #expect(try await harness.application.staffChoice("sam-ortiz")?.practitionerID == "prac-3")

            let disconnected = try await harness.request("POST /oauth/fullscript/disconnect", headers: ["Cookie: \(session)", "Sec-Fetch-Site: same-origin"])
            #expect(disconnected.status == 303)
            #expect(try await harness.application.staffChoice("sam-ortiz") == nil, "picked among that account's clinic")
        }
    }

    /// Seen in review: the opening page's Try again, while Fullscript was slow, made a second draft for
    /// one intent. A repeat of a click under way (same user, same click id) gets that click's answer.
    @Test func aRepeatOfAClickUnderWayJoinsItInsteadOfMakingASecondDraft() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.setFaults([.latency(.milliseconds(400))])
            async let first = harness.get("/recommend/p-1001?click=abcdefghijklmnop", user: nil, cookie: session)
            async let repeated = harness.get("/recommend/p-1001?click=abcdefghijklmnop", user: nil, cookie: session)
            let (one, two) = try await (first, repeated)
            #expect(one.status == 302 && two.status == 302)
            #expect(one.header("location") == two.header("location"), "the same plan")
            func drafts() async -> Int {
                await harness.planLinkRequests().count
            }
            #expect(await drafts() == 1)
            #expect(try await harness.recommendations().count == 1, "one click in the audit")

            // Over, a click id names nothing: the same address again is a new click, as is another id.
            #expect(try await harness.get("/recommend/p-1001?click=abcdefghijklmnop", user: nil, cookie: session).status == 302)
            #expect(await drafts() == 2)
        }
    }

    /// The chart says who a staff user acts for, and warns of the sandbox's email rule, from `/ehr/api/me`.
    @Test func meTellsTheChartWhoStaffActForAndWhichEmailsTheSandboxTakes() async throws {
        try await withHarness(try await Self.harness(["FULLSCRIPT_PATIENT_EMAIL_DOMAINS": "example.com,clinic.test"])) { harness in
            let session = try await harness.signIn("sam-ortiz")
            func me() async throws -> [String: Any] {
                let response = try await harness.get("/ehr/api/me", user: nil, cookie: session)
                return try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
            }
            #expect(try await me()["acting_for"] == nil, "not connected: nothing to say")
            #expect(try await me()["patient_email_domains"] as? [String] == ["example.com", "clinic.test"])
            try await harness.connect(session: session, as: "staff-1")
            #expect(try await me()["acting_for"] == nil, "no choice yet: the chart says the click will ask")

            #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-2&remember=1", user: nil, cookie: session).status == 302)
            let acting = try #require(try await me()["acting_for"] as? [String: String])
            #expect(acting == ["practitioner_id": "prac-2", "name": "Morgan Lee"])

            // Reconnected as a practitioner, the staff choice does not apply.
            try await harness.connect(session: session, as: "prac-3")
            #expect(try await me()["acting_for"] == nil)
        }
    }

    /// A practitioner never sees the picker, even when a link asks for it.
    @Test func changingThePractitionerIsForStaffOnly() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001?choose_practitioner=1", user: nil, cookie: session).status == 302)
        }
    }

    @Test func aStaleStaffChoiceShowsFullscriptsMessageAndIsForgotten() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")
            try await harness.application.database.write { connection in
                _ = try connection.execute(
                    "INSERT INTO staff_practitioner_choices (tenant_id, ehr_user_id, practitioner_id, updated_at) VALUES ('default', 'sam-ortiz', 'prac-gone', '2026-01-01')"
                )
            }
            let refused = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(refused.status == 422)
            #expect(refused.text.contains("Practitioner is invalid"))
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).text.contains("Which practitioner"))
        }
    }

    @Test func fullscriptFailuresBecomeClearPagesAndWriteNothingButTheAuditRow() async throws {
        try await withHarness(try await Self.harness(["FULLSCRIPT_CLICK_TIMEOUT_MS": "2500"])) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let cases: [(Fault, Int, String, String)] = [
                (.status(500), 502, "Fullscript is unavailable", "fullscript_unavailable"),
                (.status(422), 422, "Fullscript said: sandbox fault: status 422", "fullscript_rejected"),
                (.status(429), 429, "Fullscript is busy", "fullscript_rate_limited"),
                (.status(403), 403, "Reconnect Fullscript", "fullscript_permission_missing"),
                (.latency(.milliseconds(3000)), 504, "Fullscript is slow to answer", "fullscript_timed_out"),
                (.malformedJSON, 502, "Fullscript is unavailable", "fullscript_unavailable"),
            ]
            for (fault, status, text, code) in cases {
                await harness.sandbox.setFaults([fault])
                let page = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
                #expect(page.status == status, "\(fault)")
                #expect(page.text.contains(text), "\(fault): \(page.text)")
                #expect(page.header("cache-control") == "no-store")
                if status == 429 { #expect(page.header("retry-after") != nil) }
                let json = try await harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "Accept: application/json"])
                #expect(json.status == status)
                #expect(json.text.contains(#""code":"\#(code)""#), "\(json.text)")
                await harness.sandbox.clearFaults()
            }
            let mapping = try await harness.application.database.read { try $0.query("SELECT * FROM patient_mappings") }
            #expect(mapping.isEmpty)
            #expect(try await harness.recommendations().count == cases.count * 2)
        }
    }

    @Test func aDeletedPatientAndAnEmailOutsideTheSandboxDomainsAreRefusedBeforeFullscript() async throws {
        try await withHarness(try await Self.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            try await harness.add(PatientRecord(ehrPatientID: "p-real", email: "someone@gmail.com", firstName: "Real", createdAt: "", updatedAt: ""))
            try await harness.add(PatientRecord(ehrPatientID: "p-sub", email: "ok@clinic.example.com", firstName: "Sub", lastName: "Domain", createdAt: "", updatedAt: ""))
            _ = try await harness.application.patients.delete("p-1001", in: Tenant.defaultID, audit: AuditEntry(tenant: Tenant.defaultID, actor: "t", action: "patient.delete", outcome: "ok"), at: Date())

            let deleted = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(deleted.status == 410)
            #expect(deleted.text.contains("removed from the EHR"))
            let guarded = try await harness.get("/recommend/p-real", user: nil, cookie: session)
            #expect(guarded.status == 422)
            #expect(guarded.text.contains("example.com"))
            #expect(await harness.sandbox.recordedRequests().allSatisfy { !$0.path.contains("dynamic_links") })
            let sub = try await harness.get("/recommend/p-sub", user: nil, cookie: session)
            #expect(sub.status == 302, "subdomains of an allowed domain pass: \(sub.text)")
        }
    }

    @Test func theWelcomeEmailSettingReachesFullscript() async throws {
        try await withHarness(try await Self.harness(["FULLSCRIPT_SEND_WELCOME_EMAIL": "true"])) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let requests = await harness.sandbox.recordedRequests()
            let draft = try #require(requests.last { $0.method == "POST" && $0.path.contains("dynamic_links") })
            #expect(String(decoding: draft.body, as: UTF8.self).contains(#""send_welcome_email":"true""#))
        }
    }
}

extension Application {
    func staffChoice(_ user: String) async throws -> RecommendationLog.StaffChoice? {
        try await RecommendationLog(database: database).staffChoice(of: EHRUser(id: user))
    }
}
