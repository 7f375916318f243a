@testable import App
import Foundation
import Server
import ServerTesting
import Store
import Testing
import FullscriptSandbox

/// The holes an attacker review found, each as the attacker would try it.
struct HardeningTests {
    static let tight = ["RATE_LIMIT_USER_PER_MINUTE": "1", "RATE_LIMIT_USER_BURST": "2",
                        "RATE_LIMIT_SERVICE_PER_MINUTE": "1", "RATE_LIMIT_SERVICE_BURST": "2"]

    // MARK: Another spelling of the path

    @Test(arguments: ["//recommend/p-1", "/recommend//p-1", "///recommend/p-1/"])
    func anotherSpellingOfAClickIsRateLimitedAllTheSame(path: String) async throws {
        try await withHarness(identity: nil, environment: Self.tight) { harness in
            let session = try await harness.signIn()
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await harness.get(path, user: nil, cookie: session).status) }
            #expect(statuses.last == 429, "\(statuses)")
        }
    }

    @Test func anotherSpellingOfAServiceCallIsRateLimitedAllTheSame() async throws {
        try await withHarness(identity: nil, environment: Self.tight) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            var statuses: [Int] = []
            for path in ["//api/v1/patients/p-1", "/api//v1/patients/p-1", "/api/v1//patients//p-1"] {
                statuses.append(try await harness.request("GET \(path)", headers: ["Authorization: Bearer \(key)"]).status)
            }
            #expect(statuses == [404, 404, 429])
        }
    }

    @Test func anotherSpellingOfAnAPIPathStillGetsTheAPIsErrors() async throws {
        try await withHarness(identity: nil) { harness in
            for path in ["//api/v1/nothing", "/api//v2", "//ehr/api/nothing", "//webhooks//nothing"] {
                let miss = try await harness.request("GET \(path)", headers: [])
                #expect(miss.status == 404)
                #expect(miss.header("content-type") == "application/json", "\(path)")
                #expect(miss.text.contains(#""code":"not_found""#), "\(path)")
            }
        }
    }

    // MARK: Login CSRF into the connect flow

    @Test(arguments: ["/oauth/fullscript/connect?return_to=/", "/oauth/fullscript/callback?code=x&state=y", "/./oauth/fullscript/connect",
                      "/x/../oauth/fullscript/connect", "/%2e/oauth/fullscript/connect", "/OAuth/fullscript/connect", "/launch?token=x",
                      // Browsers decode escaped unreserved characters before asking: these are /oauth/… and /launch to them.
                      "/%6Fauth/fullscript/connect", "/%6f%61uth/fullscript/callback?code=x&state=y", "/%6C%61unch?token=x"])
    func aLaunchNeverReturnsIntoTheConnectFlow(returnTo: String) async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let launched = try await harness.get("/launch?token=\(harness.mint())&return_to=\(FormURLEncoding.escape(returnTo))", user: nil)
            #expect(launched.status == 303)
            #expect(launched.header("location") == "/")
        }
    }

    /// What the browser will ask for is what the rules read: escaped unreserved characters decoded,
    /// other escapes (`%2F`, `%3F`) kept, dot segments however written refused.
    @Test func aReturnPathIsReadAsTheBrowserWillAskForIt() {
        #expect(ReturnPath("/%72ecommend/p%2D1?entrypoint=%6Cabs")?.path == "/recommend/p-1?entrypoint=labs")
        #expect(ReturnPath("/a%2Fb%3Fc%25")?.path == "/a%2Fb%3Fc%25")
        #expect(ReturnPath("/x%")?.path == "/x%")
        #expect(ReturnPath("/x/%2E%2e/oauth") == nil)
        #expect(ReturnPath("/%2E/x") == nil)
        #expect(LaunchRoutes.returnPath("/%6Fauth/fullscript/connect") == .home)
    }

    @Test func connectingStartsOnlyFromOurOwnPageNamingTheEHRUser() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            let page = try await harness.get("/oauth/fullscript/connect?return_to=/recommend/p-1", user: nil, cookie: session)
            #expect(page.status == 200)
            #expect(page.text.contains("Connect your Fullscript account to continue"))
            #expect(page.text.contains("Dr. Avery Quinn"))
            #expect(page.text.contains(#"<form method="post" action="/oauth/fullscript/connect">"#))
            #expect(page.header("location") == nil)
            #expect(try await Self.oauthStates(harness) == 0, "showing the page starts nothing")

            for site in ["cross-site", "same-site", nil] {
                let forged = try await harness.post("/oauth/fullscript/connect", form: "return_to=%2F", user: nil, cookie: session, site: site)
                #expect(forged.status == 403)
            }
            #expect(try await Self.oauthStates(harness) == 0)
            let started = try await harness.startConnect(returnTo: "/recommend/p-1", user: nil, cookie: session)
            #expect(started.status == 302)
            #expect(try await Self.oauthStates(harness) == 1)
        }
    }

    @Test func aLaunchForAnotherUserAsksBeforeReplacingTheSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let victim = try await harness.signIn("dr-quinn")
            let attackersToken = harness.mint("mallory", name: "Mallory")
            let asked = try await harness.get("/launch?token=\(attackersToken)&return_to=%2Fchart.html", user: nil, cookie: victim)
            #expect(asked.status == 200)
            #expect(asked.header("set-cookie") == nil)
            #expect(asked.text.contains("Switch EHR user?") && asked.text.contains("Mallory") && asked.text.contains("Dr. Avery Quinn"))
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: victim).text.contains(#""id":"dr-quinn""#), "still the victim")

            let form = "token=\(attackersToken)&return_to=%2Fchart.html"
            #expect(try await harness.post("/launch", form: form, user: nil, cookie: victim, site: "cross-site").status == 403)
            let switched = try await harness.post("/launch", form: form, user: nil, cookie: victim)
            #expect(switched.status == 303)
            #expect(switched.header("location") == "/chart.html")
            let session = try #require(switched.header("set-cookie")?.split(separator: ";").first.map(String.init))
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).text.contains(#""id":"mallory""#))
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: victim).status == 401, "the replaced session ended")
            #expect(try await harness.post("/launch", form: form, user: nil, cookie: session).status == 401, "the token is still single use")
        }
    }

    @Test func aLaunchForTheSameUserDoesNotAsk() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn("dr-quinn")
            #expect(try await harness.get("/launch?token=\(harness.mint("dr-quinn"))", user: nil, cookie: session).status == 303)
        }
    }

    // MARK: State-changing requests from other origins

    @Test(arguments: [["Sec-Fetch-Site: cross-site"], ["Sec-Fetch-Site: same-site"], ["Sec-Fetch-Site: none"],
                      ["Origin: https://evil.example"], ["Origin: null"], []])
    func signingOutNeedsOurOrigin(headers: [String]) async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            let forged = try await harness.post("/logout", user: nil, cookie: session, site: nil, headers: headers)
            #expect(forged.status == 403)
            #expect(forged.header("set-cookie") == nil)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).status == 200, "still signed in")
            #expect(try await harness.post("/logout", user: nil, cookie: session, site: nil, headers: ["Origin: http://127.0.0.1:9"]).status == 303)
        }
    }

    @Test func disconnectingNeedsOurOrigin() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            _ = try await harness.get(callback, cookie: cookie)
            #expect(try await harness.post("/oauth/fullscript/disconnect", site: "cross-site").status == 403)
            let deleted = try await harness.execute("DELETE /oauth/fullscript/disconnect HTTP/1.1\r\nHost: x\r\nX-Test-User: alice\r\nSec-Fetch-Site: cross-site\r\n\r\n")
            #expect(deleted.status == 403)
            #expect(try await harness.storedRows().count == 1, "still connected")
            #expect(await !harness.sandbox.recordedRequests().contains { $0.path == "/api/oauth/revoke" })
            #expect(try await harness.post("/oauth/fullscript/disconnect").status == 303)
            #expect(try await harness.storedRows().isEmpty)
        }
    }

    // MARK: Browser hardening headers

    @Test func pagesCannotBeFramedAndRunOnlyOurScripts() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            let pages = [
                try await harness.get("/", user: nil), try await harness.get("/chart.html", user: nil),
                try await harness.get("/oauth/fullscript/connect", user: nil, cookie: session),
                try await harness.get("/launch?token=nope", user: nil),
            ]
            for page in pages {
                #expect(page.header("content-type")?.hasPrefix("text/html") == true)
                let policy = try #require(page.header("content-security-policy"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
                #expect(page.header("x-frame-options") == "DENY")
                #expect(page.header("x-content-type-options") == "nosniff")
                #expect(page.header("strict-transport-security") == nil, "not over plain HTTP")
                #expect(!page.text.contains("<script>") && !page.text.contains(" onclick="), "no inline script for the policy to refuse")
            }
            let button = try await harness.get("/fullscript-button.js", user: nil)
            #expect(button.header("access-control-allow-origin") == "*", "the button stays embeddable")
            #expect(button.header("x-frame-options") == nil)
        }
    }

    /// Our pages style themselves with the EHR's stylesheet only: no inline style for the policy to allow.
    @Test func thePagesLinkTheEHRStylesheetAndHaveNoInlineStyle() async throws {
        let page = HTMLPage.render(title: "t", message: "m")
        #expect(page.contains(#"<link rel="stylesheet" href="/styles.css">"#))
        #expect(!page.contains("<style") && !page.contains(" style="))
        #expect(SecurityHeaders.contentSecurityPolicy.contains("style-src 'self';"))
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let stylesheet = try await harness.get("/styles.css", user: nil)
            #expect(stylesheet.status == 200 && stylesheet.text.contains(".page-card"))
        }
    }

    @Test func httpsDeploymentsGetHSTSAndHostPrefixedSessionCookies() async throws {
        try await withHarness(identity: nil, environment: ["PUBLIC_BASE_URL": "https://ehr.example"]) { harness in
            let launched = try await harness.get("/launch?token=\(harness.mint())", user: nil)
            let cookie = try #require(launched.header("set-cookie"))
            #expect(cookie.hasPrefix("__Host-fsr_session="))
            #expect(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"))
            #expect(launched.header("strict-transport-security") == "max-age=31536000")
            let session = try #require(cookie.split(separator: ";").first.map(String.init))
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).status == 200)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: "fsr_session=" + session.split(separator: "=")[1]).status == 401,
                    "an unprefixed cookie (settable by a sibling or over HTTP) is not ours")
            let started = try await harness.startConnect(returnTo: "/", user: nil, cookie: session, headers: [])
            #expect(started.header("set-cookie")?.hasPrefix("__Host-fs_oauth_binding=") == true)
        }
    }

    /// The server's own answers (no route, wrong method, a body no route takes, a malformed request)
    /// are refused before any route's middleware runs; they carry the same headers all the same.
    @Test func theServersOwnErrorsCarryTheSecurityHeadersToo() async throws {
        // Live: a malformed request and an unread body are answered by the server on the wire.
        try await withHarness(mode: .live, identity: nil, environment: ["PUBLIC_BASE_URL": "https://ehr.example"]) { harness in
            let answers = [
                ("no route in a group", try await harness.request("GET /api/v1/nothing", headers: [])),
                ("wrong method", try await harness.request("DELETE /healthz", headers: [])),
                ("a body no route takes", try await harness.request("POST /logout", headers: ["Content-Length: 10"])),
                ("malformed", try await harness.request("GET /a\u{7F}", headers: [])),
                ("no file", try await harness.request("GET /nothing-here.txt", headers: [])),
            ]
            for (name, answer) in answers {
                #expect(answer.status >= 400, "\(name)")
                #expect(answer.header("x-content-type-options") == "nosniff", "\(name)")
                #expect(answer.header("strict-transport-security") == "max-age=31536000", "\(name)")
            }
        }
    }

    // MARK: Cookies a sibling subdomain could set

    /// The cookie that ties an OAuth flow to the browser that started it must be one a sibling
    /// subdomain cannot plant: otherwise it plants the binding of a flow it started for its own EHR
    /// user, sends the victim through Fullscript's consent with that flow's state, and the victim's
    /// Fullscript account is stored under the attacker's EHR user. `__Secure-` cookies may be set
    /// with `Domain=` by any secure sibling; `__Host-` ones only by this host.
    @Test func theOAuthBrowserBindingCannotBePlantedByASibling() async throws {
        try await withHarness(environment: ["PUBLIC_BASE_URL": "https://ehr.example"]) { harness in
            let started = try await harness.startConnect(returnTo: "/")
            let cookie = try #require(started.header("set-cookie"))
            #expect(cookie.hasPrefix("__Host-fs_oauth_binding="), "\(cookie)")
            #expect(cookie.contains("; Path=/;") && cookie.contains("; Secure") && !cookie.contains("Domain"))

            let (callback, binding) = try await harness.consent()
            let value = try #require(binding.split(separator: "=", maxSplits: 1).last.map(String.init))
            let planted = try await harness.get(callback, cookie: "__Secure-fs_oauth_binding=" + value)
            #expect(planted.status == 400, "a binding under a name a sibling can set is not ours")
            #expect(try await harness.storedRows().isEmpty)
        }
    }

    // MARK: A signed-out browser

    /// Signing out (or the session expiring) ends a chart's live stream before it sends anything
    /// more about the patient, not at the next heartbeat.
    @Test func aSignedOutChartHearsNothingMoreAboutThePatient() async throws {
        try await withHarness(try await ConnectedHarness.sessions(mode: .live)) { harness in
            let (alice, _) = try await PlanRoutesTests.charts(on: harness)
            let (stream, _) = try await harness.readyStream("p-a", session: alice)
            #expect(try await harness.post("/logout", user: nil, cookie: alice).status == 303)
            try await harness.deliver(PlanRoutesTests.plan("tp-1", of: "fs-a", message: "private"))
            let (event, skipped) = try await stream.nextEvent()
            #expect(event.event == "end", "\(event)")
            #expect(!skipped.contains { $0.description.contains("private") })
        }
    }

    static func oauthStates(_ harness: ConnectedHarness) async throws -> Int {
        try await harness.application.database.read { try $0.query("SELECT state_hash FROM oauth_states") { try $0.string("state_hash") }.count }
    }
}
