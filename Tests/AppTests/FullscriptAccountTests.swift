@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Logging
import Server
import ServerTesting
import Store
import Testing

/// The connected Fullscript account by name: looked up at connect, shown by /ehr/api/me and the connect
/// page, checked against the EHR user, and the ways out of a consent that was not given.
struct FullscriptAccountTests {
    /// Connects `user` through the simulator's consent, approving as `account`.
    private func connect(_ harness: ConnectedHarness, user: String, as account: String, returnTo: String = "/") async throws -> TestResponse {
        let (callback, cookie) = try await harness.consent(returnTo: returnTo, as: account, user: user)
        return try await harness.get(callback, user: nil, cookie: cookie)
    }

    private func fullscript(_ harness: ConnectedHarness, user: String) async throws -> [String: Any] {
        let me = try await harness.get("/ehr/api/me", user: user)
        #expect(me.status == 200)
        return try #require(try me.json["fullscript"] as? [String: Any])
    }

    @Test func storesThePractitionersNameAtConnectAndWarnsWhenItIsSomeoneElse() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            #expect(try await connect(harness, user: "dr-lee", as: "prac-1").status == 200)
            let lookups = await harness.sandbox.recordedRequests().filter { $0.path.hasPrefix("/api/clinic/") }.map(\.path)
            #expect(lookups == ["/api/clinic/practitioners/prac-1"])
            let row = try #require(try await harness.storedRows().first)
            #expect(try row.optionalString("resource_owner_first_name") == "Avery")
            #expect(try row.optionalString("resource_owner_last_name") == "Quinn")

            let fullscript = try await fullscript(harness, user: "dr-lee")
            #expect(fullscript["connected"] as? Bool == true)
            #expect(fullscript["account_name"] as? String == "Avery Quinn")
            #expect(fullscript["resource_owner_type"] as? String == "Practitioner")
            #expect(fullscript["account_check"] as? String == "mismatch")
            #expect((fullscript["scope"] as? [String])?.contains("clinic:read") == true)
            #expect((fullscript["connected_at"] as? String)?.isEmpty == false)

            // Every field is in the contract schemathesis checks (whose demo session is not connected).
            let document = try String(contentsOfFile: repositoryRoot + "/Public/openapi.yaml", encoding: .utf8)
            let start = try #require(document.range(of: "\n    Me:\n")).upperBound
            let me = document[start..<(document.range(of: "\n  responses:\n", range: start..<document.endIndex)?.lowerBound ?? document.endIndex)]
            for key in fullscript.keys {
                #expect(me.contains("\n            \(key):"), "\(key) is not in openapi.yaml's Me")
            }

            // Reconnecting names the account it replaces.
            let page = try await harness.get("/oauth/fullscript/connect?return_to=/", user: "dr-lee")
            #expect(page.text.contains("Now connected as <strong>Fullscript: Avery Quinn (Practitioner)</strong>"))

            #expect(try await connect(harness, user: "dr-lee", as: "prac-2").status == 200)
            let fixed = try await self.fullscript(harness, user: "dr-lee")
            #expect(fixed["account_name"] as? String == "Morgan Lee")
            #expect(fixed["account_check"] as? String == "match")
        }
    }

    @Test func theNameIsNeverLoggedAtInfo() async throws {
        let logs = LogCapture()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .info
        try await withHarness(identity: NamedHeaderIdentity(), logger: logger) { harness in
            #expect(try await connect(harness, user: "dr-lee", as: "prac-1").status == 200)
            _ = try await harness.get("/ehr/api/me", user: "dr-lee")
            _ = try await harness.get("/oauth/fullscript/connect", user: "dr-lee")
            await harness.sandbox.setFaults([.status(404)], count: 1, pathPrefix: "/api/clinic/staff")
            #expect(try await connect(harness, user: "sam-ortiz", as: "staff-1").status == 200)
            let text = logs.lines.joined(separator: "\n")
            #expect(text.contains("fullscript account name lookup failed"), "the capture saw the failed lookup")
            #expect(!text.contains("Avery") && !text.contains("Quinn"))
        }
    }

    @Test func storesAStaffMembersNameFromTheStaffRecord() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            #expect(try await connect(harness, user: "sam-ortiz", as: "staff-1").status == 200)
            #expect(await harness.sandbox.recordedRequests().contains { $0.path == "/api/clinic/staff/staff-1" })
            let fullscript = try await fullscript(harness, user: "sam-ortiz")
            #expect(fullscript["account_name"] as? String == "Sam Ortiz")
            #expect(fullscript["resource_owner_type"] as? String == "Staff")
            #expect(fullscript["account_check"] as? String == "match")
            // The same check for staff: a staff account is someone's too.
            #expect(try await connect(harness, user: "dr-quinn", as: "staff-1").status == 200)
            #expect(try await self.fullscript(harness, user: "dr-quinn")["account_check"] as? String == "mismatch")
        }
    }

    @Test func aFailedLookupStillConnectsAndTheNextRefreshFillsTheName() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            // Until cleared: the client retries a failed GET.
            await harness.sandbox.setFaults([.status(503)], pathPrefix: "/api/clinic/practitioners")
            let done = try await connect(harness, user: "dr-lee", as: "prac-1", returnTo: "/account.html")
            await harness.sandbox.clearFaults()
            #expect(done.status == 200)
            #expect(done.text.contains("url=/account.html"), "connecting from the settings page returns there")
            var fullscript = try await fullscript(harness, user: "dr-lee")
            #expect(fullscript["connected"] as? Bool == true)
            #expect(fullscript["account_name"] == nil)
            #expect(fullscript["account_check"] as? String == "unknown", "no name, no warning")
            let page = try await harness.get("/oauth/fullscript/connect", user: "dr-lee")
            #expect(page.text.contains("Fullscript: Practitioner account"))

            harness.clock.advance(by: 7200)
            _ = try await harness.application.vault.accessToken(for: EHRUser(id: "dr-lee"))
            fullscript = try await self.fullscript(harness, user: "dr-lee")
            #expect(fullscript["account_name"] as? String == "Avery Quinn")
            #expect(fullscript["account_check"] as? String == "mismatch")
            let lookups = await harness.sandbox.recordedRequests().filter { $0.path.hasPrefix("/api/clinic/practitioners/") }.count

            // Known now: a further refresh does not ask again.
            harness.clock.advance(by: 7200)
            _ = try await harness.application.vault.accessToken(for: EHRUser(id: "dr-lee"))
            #expect(await harness.sandbox.recordedRequests().filter { $0.path.hasPrefix("/api/clinic/practitioners/") }.count == lookups)
        }
    }

    @Test func aReconnectAsAnotherAccountForgetsTheOldName() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            #expect(try await connect(harness, user: "dr-lee", as: "prac-2").status == 200)
            await harness.sandbox.setFaults([.status(503)], pathPrefix: "/api/clinic/practitioners")
            #expect(try await connect(harness, user: "dr-lee", as: "prac-1").status == 200)
            await harness.sandbox.clearFaults()
            let fullscript = try await fullscript(harness, user: "dr-lee")
            #expect(fullscript["account_name"] == nil, "Morgan Lee's name must not label Avery Quinn's account")
            #expect(fullscript["account_check"] as? String == "unknown")
        }
    }

    @Test func notConnectedMeCarriesNoAccount() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            let fullscript = try await fullscript(harness, user: "dr-lee")
            #expect(fullscript["connected"] as? Bool == false)
            #expect(fullscript["account_check"] == nil)
        }
    }

    @Test(arguments: [
        ("Quinn", "Dr. Avery Quinn", AccountCheck.match),
        ("Lee", "Dr. Morgan Lee", .match),
        ("lee", "DR. MORGAN LEE", .match),
        ("Núñez", "Ana Nunez", .match),
        ("Núñez-Ortiz", "Dr. Ana Nunez Ortiz", .match),
        ("Quinn", "Dr. Morgan Lee", .mismatch),
        ("Lee", "Dr. Morgan Leeds", .mismatch),
        ("Ortiz", "Sam", .mismatch),
        ("", "Dr. Morgan Lee", .unknown),
        ("Lee", "", .unknown),
    ])
    func accountCheck(lastName: String, ehrName: String, expected: AccountCheck) {
        #expect(AccountCheck(holder: AccountHolder(firstName: "X", lastName: lastName), ehrUserName: ehrName) == expected)
    }

    @Test func accountCheckWithoutANameIsUnknown() {
        #expect(AccountCheck(holder: nil, ehrUserName: "Dr. Morgan Lee") == .unknown)
        #expect(AccountCheck(holder: AccountHolder(firstName: "Morgan", lastName: "Lee"), ehrUserName: nil) == .unknown)
    }

    @Test func denyAfterAClickOffersTheChartAndClosingNeverTheClickAgain() async throws {
        try await withHarness(identity: NamedHeaderIdentity(), environment: ["EHR_CHART_URL": "/chart.html?patient={patient_id}"]) { harness in
            let denied = try await deny(harness, returnTo: "/recommend/p-1001?entrypoint=labs")
            #expect(denied.status == 200)
            #expect(denied.text.contains("You chose not to allow access"))
            #expect(denied.text.contains(#"<a id="back-to-chart" href="/chart.html?patient=p-1001">Back to the chart</a>"#))
            #expect(denied.text.contains(#"<button type="button" class="btn" id="close-tab" hidden>Close this tab</button>"#))
            #expect(denied.text.contains(#"<script src="/next-steps.js" defer></script>"#))
            #expect(!denied.text.contains(#"href="/recommend"#), "no way straight back into the click and the consent page")
            #expect(denied.text.contains(#"<a id="connect-again" href="/oauth/fullscript/connect?return_to=%2Frecommend%2Fp-1001%3Fentrypoint%3Dlabs">"#),
                    "connecting again goes through our connect page: a deliberate choice")
            #expect(try await harness.get("/next-steps.js", user: nil).status == 200)
            #expect(try await harness.storedRows().isEmpty)
        }
    }

    @Test func denyWithoutAChartURLOffersClosingTheTab() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            let denied = try await deny(harness, returnTo: "/recommend/p-1001")
            #expect(!denied.text.contains("back-to-chart"))
            #expect(denied.text.contains(#"id="close-tab""#))
            #expect(!denied.text.contains(#"href="/recommend"#))
        }
    }

    @Test func denyFromTheSettingsPageGoesBackThere() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            let denied = try await deny(harness, returnTo: "/account.html")
            #expect(denied.text.contains(#"<a id="back" href="/account.html">Back to your Fullscript account settings</a>"#))
            #expect(!denied.text.contains("close-tab\""))
            let other = try await harness.get("/oauth/fullscript/callback?error=server_error&state=x", user: nil)
            #expect(other.status == 400)
        }
    }

    private func deny(_ harness: ConnectedHarness, returnTo: String) async throws -> TestResponse {
        let connect = try await harness.startConnect(returnTo: returnTo, user: "dr-lee")
        let authorize = try #require(connect.header("location"))
        let cookie = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let state = try #require(URLComponents(string: authorize)?.queryItems?.first { $0.name == "state" }?.value)
        let form = "client_id=sandbox-client&redirect_uri=\(FormURLEncoding.escape(ConnectedHarness.redirectURI))&state=\(state)&decision=deny"
        let decision = try await harness.fullscript.execute(
            "POST /api/oauth/authorize/decision HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(form.utf8.count)\r\n\r\n" + form)
        let location = try #require(decision.header("location"))
        let back = try #require(URLComponents(string: location))
        return try await harness.get("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", user: nil, cookie: cookie)
    }

    @Test func disconnectFromTheSettingsPageReturnsThere() async throws {
        try await withHarness(identity: NamedHeaderIdentity()) { harness in
            #expect(try await connect(harness, user: "dr-lee", as: "prac-2", returnTo: "/account.html").status == 200)
            let disconnected = try await harness.post("/oauth/fullscript/disconnect?return_to=%2Faccount.html", user: "dr-lee")
            #expect(disconnected.status == 303)
            #expect(disconnected.header("location") == "/account.html")
            #expect(try await harness.storedRows().isEmpty)
            #expect(try await harness.get("/account.html", user: nil).status == 200)
            #expect(try await harness.get("/account.js", user: nil).status == 200)
        }
    }

    @Test(arguments: ["/chart.html?patient={patient_id}", "https://ehr.example/charts/{patient_id}"])
    func chartURLAcceptsPathsAndHTTPS(template: String) throws {
        let chart = try ChartURLTemplate(template)
        #expect(chart.url(patientID: "p:1").contains("p%3A1"))
    }

    @Test(arguments: ["/chart.html", "http://ehr.example/{patient_id}", "//evil.example/{patient_id}", "javascript:alert(1)//{patient_id}",
                      "/a/../{patient_id}", "https://user@ehr.example/{patient_id}", "/chart\"><script>{patient_id}",
                      "https://{patient_id}.ehr.example/chart", "https://ehr.{patient_id}/chart"])
    func chartURLRefusesEverythingElse(template: String) {
        #expect(throws: ConfigError.self) { try ChartURLTemplate(template) }
    }
}
