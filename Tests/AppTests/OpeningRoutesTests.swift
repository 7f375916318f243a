@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// `GET /recommend/:patientId/opening`, the page the button's new tab shows before the click's answer.
struct OpeningRoutesTests {
    /// The click's address as the page hands it to opening.js.
    static func address(_ page: TestResponse) -> String? {
        guard let start = page.text.range(of: #"data-opening=""#) else { return nil }
        let rest = page.text[start.upperBound...]
        return rest.prefix { $0 != "\"" }.replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The click's address without its click id, which must be there, last, and random.
    static func target(_ page: TestResponse) -> String? {
        guard let address = address(page), let mark = address.range(of: "click=", options: .backwards) else { return nil }
        let id = address[mark.upperBound...]
        guard id.count == 16, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return String(address[..<mark.lowerBound].dropLast())
    }

    @Test func namesThePatientAtOnceAndAsksFullscriptNothing() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let calls = await harness.sandbox.recordedRequests().count

            let page = try await harness.get("/recommend/p-1001/opening", user: nil, cookie: session)
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            #expect(page.header("cache-control") == "no-store")
            #expect(page.header("referrer-policy") == "no-referrer")
            #expect(page.header("content-security-policy")?.contains("script-src 'self'") == true)
            #expect(page.text.contains("<h1>Opening Fullscript for Jordan Rivera…</h1>"))
            #expect(page.text.contains(#"<script type="module" src="/opening.js"></script>"#))
            let address = try #require(Self.address(page)).replacingOccurrences(of: "&", with: "&amp;")
            #expect(page.text.contains(#"<a class="btn-primary" href="\#(address)">Continue</a>"#), "without JavaScript: a link")
            #expect(page.text.contains("Try again") && page.text.contains("data-close-tab"))
            #expect(!page.text.contains("<script>"), "no inline script: the CSP forbids it")
            #expect(Self.target(page) == "/recommend/p-1001")
            #expect(!page.text.contains("sandbox/plans") && !page.text.contains("http://"), "no Fullscript link on the page")
            #expect(await harness.sandbox.recordedRequests().count == calls, "the page asks Fullscript nothing")
            #expect(try await harness.recommendations().isEmpty, "the click is /recommend's, not the page's")

            let again = try await harness.get("/recommend/p-1001/opening", user: nil, cookie: session)
            #expect(Self.address(again) != Self.address(page), "every opening is a click of its own")
            let click = try await harness.get(try #require(Self.address(page)), user: nil, cookie: session)
            #expect(click.status == 302)
            #expect(click.header("location")?.hasPrefix("http://127.0.0.1/sandbox/plans/") == true)
            #expect(try await harness.get("/opening.js", user: nil).status == 200)
        }
    }

    @Test func escapesThePatientsName() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.add(PatientRecord(ehrPatientID: "p-x", email: "x@example.com", firstName: "<img src=x onerror=alert(1)>",
                                                lastName: "O'Hara & Co", createdAt: "", updatedAt: ""))
            try await harness.add(PatientRecord(ehrPatientID: "p-nameless", email: "n@example.com", createdAt: "", updatedAt: ""))
            let page = try await harness.get("/recommend/p-x/opening", user: nil, cookie: session)
            #expect(page.text.contains("Opening Fullscript for &lt;img src=x onerror=alert(1)&gt; O&#39;Hara &amp; Co…"), "\(page.text)")
            #expect(!page.text.contains("<img"))
            let nameless = try await harness.get("/recommend/p-nameless/opening", user: nil, cookie: session)
            #expect(nameless.text.contains("Opening Fullscript for this patient…"))
        }
    }

    @Test func forwardsOnlyWhatTheClickUnderstandsInItsOwnForm() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            let cases: [(query: String, target: String)] = [
                ("entrypoint=labs&practitioner_id=prac-2", "/recommend/p-1001?practitioner_id=prac-2&entrypoint=labs"),
                ("entrypoint=catalog", "/recommend/p-1001"),
                ("entrypoint=", "/recommend/p-1001"),
                ("practitioner_id=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&entrypoint=labs", "/recommend/p-1001?entrypoint=labs"),
                ("practitioner_id=https://evil.example/&return_to=//evil.example", "/recommend/p-1001"),
                ("token=secret&redirect_url=https://evil.example/", "/recommend/p-1001"),
                ("practitioner_id=prac-2&remember=1", "/recommend/p-1001?practitioner_id=prac-2&remember=1"),
                ("practitioner_id=prac-2&remember=0&choose_practitioner=1", "/recommend/p-1001?practitioner_id=prac-2&remember=0&choose_practitioner=1"),
                ("remember=yes&choose_practitioner=true&click=evil", "/recommend/p-1001"),
            ]
            for (query, target) in cases {
                let page = try await harness.get("/recommend/p-1001/opening?\(query)", user: nil, cookie: session)
                #expect(page.status == 200, "\(query)")
                #expect(Self.target(page) == target, "\(query): \(page.text)")
                for raw in ["evil", "alert(1)", "secret", "redirect_url"] { #expect(!page.text.contains(raw), "\(query) echoed") }
            }
            let unknownEntrypoint = try await harness.get("/recommend/p-1001/opening?entrypoint=pharmacy", user: nil, cookie: session)
            #expect(unknownEntrypoint.status == 400)
            #expect(unknownEntrypoint.text.contains("Unknown starting point"))
            // Only Try again repeats the address, as the page's own link (escaped); nothing else echoes it.
            let tryAgain = #"id="try-again" href="/recommend/p-1001/opening?entrypoint=pharmacy""#
            #expect(unknownEntrypoint.text.contains(tryAgain))
            #expect(!unknownEntrypoint.text.replacingOccurrences(of: tryAgain, with: "").contains("pharmacy"))
        }
    }

    @Test func anUnknownPatientIsAQuestionWhoseAnswerIsTodaysNewPlanLink() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let page = try await harness.get("/recommend/p-9999/opening?entrypoint=labs", user: nil, cookie: session)
            #expect(page.status == 200)
            #expect(page.header("cache-control") == "no-store")
            #expect(page.header("referrer-policy") == "no-referrer")
            #expect(page.text.contains("<h1>Continue without a patient?</h1>"))
            #expect(page.text.contains("<code>p-9999</code>") && page.text.contains("mistyped patient id"))
            #expect(!page.text.contains("Opening Fullscript for"))
            #expect(!page.text.contains("data-opening"), "the question waits for the practitioner: nothing moves on by itself")
            #expect(page.text.contains(#"<a class="btn-primary" id="continue" href="/recommend/p-9999?entrypoint=labs&amp;click="#))
            #expect(page.text.contains(#"">Continue without a patient</a>"#))
            #expect(page.text.contains("data-close-tab"))
            #expect(await harness.sandbox.recordedRequests().allSatisfy { !$0.path.contains("dynamic_links") })

            let continued = try await harness.get("/recommend/p-9999?entrypoint=labs", user: nil, cookie: session)
            #expect(continued.status == 302)
            let links = await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/dynamic_links/treatment_plans") }
            #expect(links.map(\.method) == ["GET"], "the new-plan link, with no patient")
        }
    }

    @Test func aDeletedPatientOrABadIdGetsTheClicksOwnRefusal() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            _ = try await harness.application.patients.delete("p-1001", in: Tenant.defaultID, audit: AuditEntry(tenant: Tenant.defaultID, actor: "t", action: "patient.delete", outcome: "ok"), at: Date())
            for path in ["/recommend/p-1001", "/recommend/p-1001/opening"] {
                let deleted = try await harness.get(path, user: nil, cookie: session)
                #expect(deleted.status == 410, "\(path)")
                #expect(deleted.text.contains("This patient was removed from the EHR"), "\(path)")
                let json = try await harness.request("GET \(path)", headers: ["Cookie: \(session)", "Accept: application/json"])
                #expect(json.status == 410)
                #expect(json.text.contains(#""code":"patient_deleted""#))
            }
            for id in ["bad%20id", String(repeating: "a", count: 65), "%3Cscript%3E"] {
                let bad = try await harness.get("/recommend/\(id)/opening", user: nil, cookie: session)
                #expect(bad.status == 400, "\(id)")
                #expect(bad.text.contains("This is not a patient link"))
                #expect(!bad.text.contains("<script>"))
            }
        }
    }

    @Test func withoutASessionThePageIsRefusedOrSentToSignInAndBack() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let page = try await harness.get("/recommend/p-1001/opening", user: nil)
            #expect(page.status == 401)
            #expect(page.text.contains("Sign in through your EHR"))
            #expect(!page.text.contains("Jordan"), "no patient's name before sign-in")
            let json = try await harness.request("GET /recommend/p-1001/opening", headers: ["Accept: application/json"])
            #expect(json.status == 401)
            #expect(json.text.contains(#""code":"not_signed_in""#))
            let crossSite = try await harness.request("GET /recommend/p-1001/opening",
                                                      headers: ["Cookie: \(try await harness.signIn())", "Sec-Fetch-Site: cross-site"])
            #expect(crossSite.status == 403)
            #expect(crossSite.text.contains("Open this from the EHR"))
        }
        try await withHarness(identity: nil, environment: ["EHR_DEMO_SIGN_IN": "true"]) { demo in
            let sent = try await demo.get("/recommend/p-1001/opening?entrypoint=labs", user: nil)
            #expect(sent.status == 303)
            #expect(sent.header("location") == "/demo/sign-in?return_to=%2Frecommend%2Fp-1001%2Fopening%3Fentrypoint%3Dlabs")
        }
    }
}
