@testable import App
import Cryptography
import Foundation
import Server
import ServerTesting
import Store
import Testing

struct LaunchRoutesTests {
    @Test func aGoodTokenStartsAStrictHttpOnlySessionAndReturnsWhereAsked() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let launched = try await harness.get("/launch?token=\(harness.mint())&return_to=/chart.html%3Fpatient%3Dp-1", user: nil)
            #expect(launched.status == 303)
            #expect(launched.header("location") == "/chart.html?patient=p-1")
            #expect(launched.header("referrer-policy") == "no-referrer")
            let cookie = try #require(launched.header("set-cookie"))
            #expect(cookie.hasPrefix("fsr_session="))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] { #expect(cookie.contains(attribute)) }
            #expect(!cookie.contains("Secure"))

            let session = String(cookie.split(separator: ";")[0])
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            #expect(me.status == 200)
            #expect(me.text.contains(#""id":"dr-quinn""#) && me.text.contains(#""name":"Dr. Avery Quinn""#))
            #expect(try await harness.auditActions().contains("session.start:ok"))
            let stored = try await harness.application.database.read { try $0.query("SELECT id_hash FROM sessions") { try $0.string("id_hash") } }
            #expect(stored.count == 1 && !stored[0].contains(session.dropFirst("fsr_session=".count)))
        }
    }

    @Test func aLaunchFromTheEHRsOwnSiteContinuesThroughAPageOfOurs() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let launched = try await harness.request("GET /launch?token=\(harness.mint())&return_to=%2Frecommend%2Fp-1", headers: ["Sec-Fetch-Site: cross-site"])
            #expect(launched.status == 200)
            #expect(launched.header("set-cookie")?.hasPrefix("fsr_session=") == true)
            #expect(launched.text.contains(#"<meta http-equiv="refresh" content="0;url=/recommend/p-1">"#))
        }
    }

    @Test func theDropInButtonLoadsFromOtherOrigins() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let script = try await harness.get("/fullscript-button.js", user: nil)
            #expect(script.status == 200)
            #expect(script.header("access-control-allow-origin") == "*")
            #expect(try await harness.get("/app.js", user: nil).header("access-control-allow-origin") == nil)
        }
    }

    @Test func secureCookiesWhenPublishedOverHTTPS() async throws {
        try await withHarness(identity: nil, environment: ["PUBLIC_BASE_URL": "https://ehr.example"]) { harness async throws in
            #expect(try await harness.get("/launch?token=\(harness.mint())", user: nil).header("set-cookie")?.contains("; Secure") == true)
        }
    }

    @Test func neverReturnsOffSite() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example"] {
                let launched = try await harness.get("/launch?token=\(harness.mint())&return_to=\(FormURLEncoding.escape(target))", user: nil)
                #expect(launched.header("location") == "/")
            }
        }
    }

    @Test func refusesEveryBadTokenWithAClearPageAndNoSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let secret = Array(ApplicationTests.launchSecret.utf8)
            let now = Int(harness.clock.now().timeIntervalSince1970)
            func signed(_ claims: String, key: [UInt8] = secret) -> String { JWT.signHS256(claims: Array(claims.utf8), key: key) }
            let unsignedHeader = Base64URL.encode(#"{"alg":"none","typ":"JWT"}"#.utf8)
            let hs512Header = Base64URL.encode(#"{"alg":"HS512","typ":"JWT"}"#.utf8)
            let body = Base64URL.encode(#"{"sub":"mallory","jti":"j1","exp":\#(now + 60)}"#.utf8)
            let cases: [(String, String)] = [
                ("", "not a JWT"),
                ("not-a-token", "not a JWT"),
                ("\(unsignedHeader).\(body).", "signed with none"),
                ("\(hs512Header).\(body).\(Base64URL.encode([1, 2, 3]))", "HS512"),
                (signed(#"{"sub":"mallory","jti":"j2","exp":\#(now + 60)}"#, key: Array("another-secret-of-enough-length-123".utf8)), "not signed with"),
                (signed(#"{"jti":"j3","exp":\#(now + 60)}"#), "no sub claim"),
                (signed(#"{"sub":"mallory","exp":\#(now + 60)}"#), "no jti claim"),
                (signed(#"{"sub":"mallory","jti":"j4"}"#), "no exp claim"),
                (signed(#"{"sub":"mallory","jti":"j5","exp":"soon"}"#), "unusable exp"),
                (signed(#"{"sub":"mallory","jti":"j6","exp":\#(now - 120)}"#), "expired"),
                (signed(#"{"sub":"mallory","jti":"j7","exp":\#(now + 3600)}"#), "longer than 10 minutes"),
                (signed(#"{"sub":"mallory","jti":"j8","exp":\#(now + 60),"iat":\#(now + 600)}"#), "in the future"),
                (signed(#"{"sub":"","jti":"j9","exp":\#(now + 60)}"#), "unusable sub"),
            ]
            for (token, reason) in cases {
                let answer = try await harness.get("/launch?token=\(token)", user: nil)
                #expect(answer.status == 401, "\(reason)")
                #expect(answer.header("set-cookie") == nil)
                #expect(answer.text.contains(reason), "\(reason): \(answer.text)")
            }
            let count = try await harness.application.database.read { try $0.queryFirst("SELECT count(*) AS n FROM sessions")?.int("n") }
            #expect(count == 0)
        }
    }

    @Test func aTokenWorksOnce() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let token = harness.mint()
            #expect(try await harness.get("/launch?token=\(token)", user: nil).status == 303)
            let again = try await harness.get("/launch?token=\(token)", user: nil)
            #expect(again.status == 401)
            #expect(again.text.contains("already used"))
            #expect(try await harness.auditActions().contains("session.start:launch_token_reused"))
        }
    }

    /// A token is accepted until `exp` plus the clock skew; its jti must stay remembered as used for
    /// all of that window, or a replay just after `exp` signs in again.
    @Test func aUsedTokenStaysUsedForAsLongAsItCouldBeAccepted() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let token = harness.mint()
            let exp = try LaunchToken(verifying: token, secret: Array(ApplicationTests.launchSecret.utf8), now: harness.clock.now()).expiresAt
            #expect(try await harness.get("/launch?token=\(token)", user: nil).status == 303)
            /// Stops the clock at `exp + seconds`: 29 s is a second from the end of the window.
            func replay(at seconds: TimeInterval) async throws -> TestResponse {
                harness.clock.freeze(at: Date(timeIntervalSince1970: TimeInterval(exp) + seconds))
                return try await harness.get("/launch?token=\(token)", user: nil)
            }
            for seconds: TimeInterval in [3, 29] {
                let again = try await replay(at: seconds)
                #expect(again.status == 401, "replayed at exp+\(Int(seconds))")
                #expect(again.text.contains("already used"), "replayed at exp+\(Int(seconds)): \(again.text)")
                #expect(again.header("set-cookie") == nil)
            }
            // Past the window the verifier refuses the token itself.
            let late = try await replay(at: 31)
            #expect(late.status == 401 && late.text.contains("expired"), "\(late.text)")
            let sessions = try await harness.application.database.read {
                try $0.query("SELECT ehr_user_id FROM sessions ORDER BY ehr_user_id") { try $0.string("ehr_user_id") }
            }
            #expect(sessions == ["dr-quinn"], "one session, from the one accepted use of the token")
        }
    }

    @Test func sessionsExpireWhenIdleAndAbsolutely() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let idle = try await harness.signIn()
            harness.clock.advance(by: 29 * 60)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: idle).status == 200)
            harness.clock.advance(by: 29 * 60)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: idle).status == 200, "each use extends the idle expiry")
            harness.clock.advance(by: 31 * 60)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: idle).status == 401)

            let busy = try await harness.signIn()
            for _ in 0..<26 {
                harness.clock.advance(by: 28 * 60)
                _ = try await harness.get("/ehr/api/me", user: nil, cookie: busy)
            }
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: busy).status == 401, "12 hours is the most a session lives")
        }
    }

    @Test func signingOutEndsTheSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            let out = try await harness.execute("POST /logout HTTP/1.1\r\nHost: x\r\nCookie: \(session)\r\nSec-Fetch-Site: same-origin\r\nContent-Length: 0\r\n\r\n")
            #expect(out.status == 303)
            #expect(out.header("set-cookie")?.contains("Max-Age=0") == true)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).status == 401)
            #expect(try await harness.auditActions().contains("session.end:ok"))
        }
    }

    @Test func theDemoSignInMintsATokenForSeededUsersOnly() async throws {
        try await withHarness(identity: nil, environment: ["EHR_DEMO_SIGN_IN": "true"]) { harness in
            let page = try await harness.get("/demo/sign-in", user: nil)
            #expect(page.status == 200)
            #expect(page.text.contains("Dr. Avery Quinn") && page.text.contains("Sam Ortiz"))
            #expect(page.text.contains(#"<a href="/">Back to the demo EHR</a>"#), "a way back")
            #expect(!page.text.localizedCaseInsensitiveContains("token"), "no jargon: \(page.text)")
            func post(_ form: String) async throws -> TestResponse {
                let response = try await harness.execute("POST /demo/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nSec-Fetch-Site: same-origin\r\n"
                    + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
                return response
            }
            let chosen = try await post("user=sam-ortiz&return_to=%2Fchart.html")
            #expect(chosen.status == 303)
            let launch = try #require(chosen.header("location"))
            #expect(launch.hasPrefix("/launch?token=") && launch.hasSuffix("&return_to=%2Fchart.html"))
            #expect(try await harness.get(launch, user: nil).status == 303)
            #expect(try await post("user=mallory").status == 400)
        }
    }

    @Test func withoutTheDemoFlagThereIsNoDemoSignIn() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness async throws in
            #expect(try await harness.get("/demo/sign-in", user: nil).status == 404)
        }
    }
}
