@testable import App
import FullscriptSandbox
import ServerTesting
import Testing

/// `fullscript.click_timeout_ms` bounds the Fullscript calls a practitioner waits on after a click,
/// and only those; `fullscript.timeout_ms` bounds every other call. The simulator's latency lies
/// between the two, so each kind of call shows which deadline it had.
struct ClickDeadlineTests {
    @Test func aClickGivesUpAtItsOwnDeadlineWhileOtherCallsWaitLonger() async throws {
        let settings = ["FULLSCRIPT_CLICK_TIMEOUT_MS": "300", "FULLSCRIPT_TIMEOUT_MS": "10000"]
        try await withHarness(try await RecommendRoutesTests.harness(settings)) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "links Jordan for the refresh below")

            await harness.sandbox.setFaults([.latency(.milliseconds(1500))])
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 504)
            #expect(click.text.contains("Fullscript is slow to answer"))
            let refresh = try await harness.refreshPlans("p-1001", session: session)
            #expect(refresh.status == 200, "a plan refresh keeps fullscript.timeout_ms: \(refresh.text)")
            #expect(try await harness.recommendations().last?.contains("|fullscript_timed_out|") == true)
        }
    }

    @Test func aStaffUsersPractitionerListIsPartOfTheClick() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_CLICK_TIMEOUT_MS": "300"])) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")
            await harness.sandbox.setFaults([.latency(.milliseconds(1500))])
            let picker = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(picker.status == 504)
            let lists = await harness.sandbox.recordedRequests().filter { $0.path.hasSuffix("/clinic/practitioners") }
            #expect(lists.count == 1, "the practitioner list was the call that ran out of time")
        }
    }

    @Test func aClickWaitsPastTheGeneralTimeoutWhenItsOwnIsLonger() async throws {
        let settings = ["FULLSCRIPT_CLICK_TIMEOUT_MS": "8000", "FULLSCRIPT_TIMEOUT_MS": "300"]
        try await withHarness(try await RecommendRoutesTests.harness(settings)) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.setFaults([.latency(.milliseconds(1000))])
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 302, "\(click.text)")
            #expect(click.header("location")?.hasPrefix("http://127.0.0.1/sandbox/plans/") == true)
            let refresh = try await harness.refreshPlans("p-1001", session: session)
            #expect(refresh.status == 504, "a plan refresh keeps fullscript.timeout_ms")
            #expect(refresh.text.contains(#""code":"fullscript_timed_out""#))
        }
    }
}
