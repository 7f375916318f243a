@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import HTTPTypes
import Server
import ServerTesting
import Testing

/// Every page that stops a person has the same parts: what happened, Try again (the same address),
/// Close this tab, and the request id to quote to support. JSON answers keep their shape.
struct RefusalPageTests {
    static let cases: [(Refusal, Int)] = [
        (.badPatientID, 400), (.badEntrypoint, 400), (.notConnected, 409), (.patientDeleted, 410),
        (.emailNotAllowed(["example.com"]), 422), (.tooManyRequests(retryAfterSeconds: 7), 429), (.databaseBusy, 503), (.databaseUnavailable, 503),
        (.fullscript(FullscriptError(.validation(["Email is invalid"]))), 422),
        (.fullscript(FullscriptError(.forbidden)), 403), (.fullscript(FullscriptError(.rateLimited(retryAfterSeconds: 30))), 429),
        (.fullscript(FullscriptError(.timedOut)), 504), (.fullscript(FullscriptError(.unavailable("down"))), 502),
        (.fullscript(FullscriptError(.malformedResponse("junk"))), 502),
    ]

    static func request(_ path: String, method: HTTPRequest.Method = .get, id: String = "req-42") -> Request {
        Request(head: HTTPRequest(method: method, scheme: nil, authority: nil, path: path), id: id)
    }

    /// The href of the first link with this id, unescaped as a browser reads it.
    static func href(_ id: String, in page: String) -> String? {
        guard let tag = page.range(of: #"id="\#(id)" href=""#) else { return nil }
        let rest = page[tag.upperBound...]
        return rest.prefix { $0 != "\"" }.replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test(arguments: cases)
    func everyRefusalPageHasEveryNextStep(refusal: Refusal, status: Int) {
        let response = refusal.response(.html, to: Self.request("/recommend/p-1001?entrypoint=labs"),
                                        reconnect: "/oauth/fullscript/connect?return_to=%2Frecommend%2Fp-1001")
        let page = response.bodyText
        #expect(response.status.code == status)
        #expect(response.headerFields[.contentType]?.hasPrefix("text/html") == true)
        #expect(response.headerFields[.cacheControl] == "no-store")
        #expect(page.contains("<h1>\(HTMLEscaping.escape(refusal.answer.title))</h1>"))
        #expect(page.contains(#"<p class="what-happened">\#(HTMLEscaping.escape(refusal.message))</p>"#))
        #expect(Self.href("try-again", in: page) == "/recommend/p-1001?entrypoint=labs", "Try again is the same address")
        #expect(page.contains(#"id="close-tab""#) && page.contains("close this tab to go back to it"), "a way back to the chart")
        #expect(page.contains(#"<script src="/next-steps.js" defer></script>"#))
        #expect(page.contains(#"<code id="request-id">req-42</code>"#))
        #expect(page.contains(#"<link rel="stylesheet" href="/styles.css">"#), "in the EHR's look")
        #expect(page.contains("Reconnect Fullscript") == refusal.answer.offersReconnect)
        if let seconds = refusal.answer.retryAfterSeconds { #expect(response.headerFields[.retryAfter] == String(seconds)) }

        let json = refusal.response(.json, to: Self.request("/recommend/p-1001"))
        #expect(json.status.code == status)
        #expect(json.bodyText.hasPrefix(#"{"error":{"code":"\#(refusal.code)","#) && json.bodyText.contains(#""request_id":"req-42""#))
    }

    /// A click from another site must not become a same-site one by a press on our page: not when the
    /// browser says it came from another site, nor when it came without the session (a browser that
    /// sends no Sec-Fetch-Site says nothing, and the session cookie stayed behind).
    @Test(arguments: [(Refusal.crossSite, 403), (Refusal.notSignedIn, 401)])
    func aRequestThatMayComeFromAnotherSiteOffersNoTryAgain(refusal: Refusal, status: Int) {
        let response = refusal.response(.html, to: Self.request("/recommend/p-1001?practitioner_id=prac-1&remember=1"))
        #expect(response.status.code == status)
        #expect(!response.bodyText.contains("try-again"))
        #expect(response.bodyText.contains(#"id="close-tab""#) && response.bodyText.contains("req-42"))
    }

    @Test func tryAgainRepeatsOnlyAGetAndOnlyASameOriginPathAllEscaped() {
        let hostile = #"/recommend/p-1?x="><script>alert(1)</script>&y='"#
        let page = Refusal.badPatientID.response(.html, to: Self.request(hostile, id: #"<b id="x">"#)).bodyText
        #expect(!page.contains("<script>alert") && !page.contains(#"<b id="x">"#))
        #expect(page.contains(#"href="/recommend/p-1?x=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;y=&#39;""#), "\(page)")
        #expect(page.contains("&lt;b id=&quot;x&quot;&gt;"))

        for path in ["//evil.example/recommend/p-1", "/\\evil.example", "/recommend/../oauth/x", "/a b"] {
            let other = Refusal.fullscript(FullscriptError(.timedOut)).response(.html, to: Self.request(path)).bodyText
            #expect(!other.contains("try-again"), "no Try again to \(path)")
        }
        let post = Refusal.tooManyRequests(retryAfterSeconds: 1).response(.html, to: Self.request("/logout", method: .post)).bodyText
        #expect(!post.contains("try-again"), "a link cannot repeat a POST")
    }

    /// The same parts through the real click: Fullscript fails once, the page's Try again makes the plan.
    @Test func aFailedClicksTryAgainIsTheSameAddressAndWorksOnceFullscriptIsBack() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.setFaults([.status(500)])
            let page = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(page.status == 502)
            #expect(page.text.contains("Fullscript is unavailable"))
            let retry = try #require(Self.href("try-again", in: page.text))
            #expect(retry == "/recommend/p-1001?entrypoint=labs")
            let requestID = try #require(page.header("x-request-id"))
            #expect(page.text.contains(#"<code id="request-id">\#(HTMLEscaping.escape(requestID))</code>"#))
            await harness.sandbox.clearFaults()
            let again = try await harness.get(retry, user: nil, cookie: session)
            #expect(again.status == 302)
            #expect(again.header("location")?.hasSuffix("entrypoint=labs") == true)
        }
    }

    @Test func theOAuthCallbacksFailurePagesStartTheConnectionOver() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            let page = try await harness.get("/oauth/fullscript/callback?state=forged&code=x", user: nil, cookie: session)
            #expect(page.status == 400)
            #expect(page.text.contains("This sign-in attempt is not one we started."))
            #expect(Self.href("try-again", in: page.text) == "/oauth/fullscript/connect")
            #expect(page.text.contains(#"id="close-tab""#) && page.text.contains(#"id="request-id""#))
        }
    }
}

extension Response {
    var bodyText: String {
        guard case .bytes(let bytes) = body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
