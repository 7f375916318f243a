import Foundation
import Testing
@testable import Fullscript
import HTTPTypes
import ServerTesting

struct FullscriptClientPlanActionsTests {
    @Test func theEditLinkIsAGetOnThePlanAndItsAnswerIsNeverLogged() async throws {
        let transport = FakeTransport(.answer(200, #"{"redirect_url": "https://us-snd.fullscript.io/plans/tp-1/edit?s=secret"}"#))
        let logs = LogCapture()
        let link = try await Fixture.client(transport, logs: logs).editTreatmentPlanLink(accessToken: "tok", planID: "tp/1")
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .get)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic/dynamic_links/treatment_plans/tp%2F1", "an id cannot add segments")
        #expect(link.redirectURL == "https://us-snd.fullscript.io/plans/tp-1/edit?s=secret")
        #expect(!logs.lines.joined().contains("s=secret"))
    }

    @Test func cancelPatchesThePlanAndReadsTheCancelledPlan() async throws {
        let transport = FakeTransport(.answer(200, #"{"treatment_plan": {"id": "tp-1", "state": "cancelled", "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-02T00:00:00.000Z"}}"#))
        let plan = try await Fixture.client(transport).cancelTreatmentPlan(accessToken: "tok", id: "tp-1")
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .patch)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic/treatment_plans/tp-1/cancel")
        #expect(plan.id == "tp-1" && plan.state == .cancelled)
    }

    @Test func cancelRefusalsKeepTheirKinds() async throws {
        for (status, kind) in [(403, FullscriptError.Kind.forbidden), (404, .notFound), (422, .validation(["Plan is not active"]))] {
            let transport = FakeTransport(.answer(status, #"{"error": "[\"Plan is not active\"]"}"#))
            await #expect(throws: FullscriptError(kind, status: status)) {
                _ = try await Fixture.client(transport).cancelTreatmentPlan(accessToken: "tok", id: "tp-1")
            }
        }
    }

    @Test func onlyFullscriptsOwnPagesCountAsFullscripts() throws {
        let client = Fixture.client(FakeTransport())
        for url in ["https://evil.example/plans/1", "http://us.fullscript.com/plans/1", "javascript:alert(1)", "/relative", "",
                    "https://us.fullscript.com.evil.example/x", "https://user@us.fullscript.com/x", "https://fullscript.com@evil.example/x",
                    "http://127.0.0.1/sandbox/plans/1", "https://notfullscript.com/x"] {
            #expect(!client.isFullscriptPage(DynamicLink(redirectURL: url)), "\(url)")
        }
        for url in ["https://us.fullscript.com/plans/1", "https://us-snd.fullscript.io/x", "https://api-us-snd.fullscript.io/x", "https://FULLSCRIPT.com./x"] {
            #expect(client.isFullscriptPage(DynamicLink(redirectURL: url)), "\(url)")
        }
    }
}

/// Ids come from Fullscript's payloads and our users' URLs: `.` and `..` would not add a segment once
/// percent-encoded, but servers and proxies remove them, calling another path with the user's token.
struct FullscriptClientDotSegmentTests {
    @Test func anIdThatIsADotSegmentIsNeverSent() async throws {
        for id in [".", "..", ""] {
            let transport = FakeTransport(.answer(200, #"{"id": "x"}"#))
            await #expect(throws: FullscriptError(.notFound)) {
                _ = try await Fixture.client(transport).variant(accessToken: "tok", id: id)
            }
            await #expect(throws: FullscriptError(.notFound)) {
                _ = try await Fixture.client(transport).cancelTreatmentPlan(accessToken: "tok", id: id)
            }
            #expect(transport.sent.isEmpty, "nothing sent for '\(id)'")
        }
    }
}
