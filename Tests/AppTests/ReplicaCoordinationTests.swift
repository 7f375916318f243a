@testable import App
import Foundation
import FullscriptSandbox
import Logging
import Server
import ServerTesting
import Store
import Testing

/// What must happen once however many replicas share the store, with three applications in this process on
/// one store and one simulator (scripts/test.sh runs this suite again on PostgreSQL, where the replicas'
/// stores are sessions of their own, as separate processes' are): the requests spread over them as nginx
/// spreads them.
struct ReplicaCoordinationTests {
    /// Clicks in bursts from one user: the per-replica allowance is not what is under test.
    static let unlimited = ["RATE_LIMIT_USER_PER_MINUTE": "1000000", "RATE_LIMIT_USER_BURST": "1000000"]

    /// Fullscript rotates refresh tokens: a second refresh with the token the first one replaced fails once the
    /// new access token is used, and that disconnects the user. So 30 clicks on 3 replicas refresh once.
    @Test func thirtyClicksOverThreeReplicasWithAnExpiredTokenRefreshOnce() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(Self.unlimited)) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let stale = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn"))).accessToken
            try await harness.withReplicas(2) { replicas in
                let upstreams = harness.upstreams(with: replicas)
                // Expired as far as the replicas know (the session would not outlive two hours of the clock).
                try await harness.application.database.write { try $0.execute("UPDATE fullscript_connections SET access_expires_at = 0") }
                let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for click in 0..<30 {
                        let upstream = upstreams[click % upstreams.count]
                        group.addTask { try await upstream.execute("GET /recommend/p-1001 HTTP/1.1\r\nHost: x\r\nCookie: \(session)\r\n\r\n") }
                    }
                    return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
                }
                let redirects = answers.filter { $0.status == 302 && $0.header("location")?.hasPrefix("http://127.0.0.1/sandbox/plans/") == true }
                #expect(redirects.count == 30, "answers: \(answers.map(\.status))")
                #expect(await harness.sandbox.tokenRefreshCount() == 1)
                let fresh = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn")))
                #expect(fresh.accessToken != stale)
                #expect(try await harness.auditActions().filter { $0.hasPrefix("fullscript.refresh") }.isEmpty, "nobody was disconnected")
            }
        }
    }

    /// A replica whose lock went with its database session may refresh with the refresh token another replica
    /// just traded. Fullscript refuses it; what the other replica stored stands, and nobody is disconnected.
    @Test func aRefreshRefusedAfterAnotherRefreshKeepsWhatThatOneStored() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(Self.unlimited)) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let vault = harness.application.vault
            let user = EHRUser(id: "dr-quinn")
            let stale = try #require(try await vault.connection(for: user))
            let fresh = try await vault.refresh(user, replacing: stale.accessToken)
            // The fresh access token used: Fullscript now refuses the refresh token it replaced.
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let kept = try await vault.refresh(stale)
            #expect(kept.accessToken == fresh.accessToken)
            #expect(try await vault.connection(for: user)?.accessToken == fresh.accessToken)
            #expect(await harness.sandbox.tokenRefreshCount() == 1, "the stale refresh was refused")
            #expect(try await harness.auditActions().filter { $0.hasPrefix("fullscript.refresh") }.isEmpty, "nobody was disconnected")
        }
    }

    /// The same event delivered to each replica at once is stored once; events arriving at every replica are each
    /// applied by one, though every replica's processor reads the shared inbox.
    @Test func eventsDeliveredToEveryReplicaAreStoredOnceAndAppliedOnce() async throws {
        let lines = LineRecord()
        var logger = Logger(label: "fsr") { JSONLogHandler(label: $0, write: lines.append) }
        logger.logLevel = .info
        try await withHarness(try await ConnectedHarness(identity: nil, environment: Self.unlimited, logger: logger)) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            try await harness.withReplicas(2) { replicas in
                let upstreams = harness.upstreams(with: replicas)
                let date = harness.clock.now()
                let sent = (0..<12).map { "ev-replicas-\($0)" }
                let deliveries = sent.enumerated().map { index, id in (upstreams[index % upstreams.count], id) }
                    + upstreams.map { ($0, "ev-everywhere") }
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for (upstream, id) in deliveries {
                        let body = PlanEvent.body(id, plan: PlanEvent.plan("tp-\(id)", patient: "pat-\(id)"))
                        let signature = WebhookSigner(secret: ApplicationTests.webhookSecret).signature(timestamp: Int(date.timeIntervalSince1970), body: body)
                        group.addTask {
                            try await upstream.execute(Array(("POST /webhooks/fullscript HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + "Fullscript-Signature: \(signature)\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses == Array(repeating: 200, count: deliveries.count))
                #expect(try await eventually(within: .seconds(30)) {
                    try await harness.webhookEvents().filter { !$0.contains("|pending|") }.count == sent.count + 1
                })
                let events = try await harness.webhookEvents()
                #expect(events.filter { $0.hasPrefix("ev-everywhere|") }.count == 1)
            }
            // Every processor stopped (the replicas' with them): each has logged all it applied, after recording it.
            await harness.application.webhooks.stop()
            let applied = lines.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["message"] as? String == "webhook event" && $0["outcome"] as? String == "applied" }
                .compactMap { $0["event_id"] as? String }
            let timesApplied = Dictionary(applied.map { ($0, 1) }, uniquingKeysWith: +)
            let expected = Dictionary(uniqueKeysWithValues: ((0..<12).map { "ev-replicas-\($0)" } + ["ev-everywhere"]).map { ($0, 1) })
            #expect(timesApplied == expected)
        }
    }

    /// A launch token replayed to every replica at once (an attacker who copied it, or a browser retrying) starts
    /// one session: its jti is used once in the shared store, whichever replica is first.
    @Test func aLaunchTokenSentToEveryReplicaAtOnceStartsOneSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.withReplicas(2) { replicas in
                let token = harness.mint()
                let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for upstream in harness.upstreams(with: replicas) {
                        group.addTask { try await upstream.execute("GET /launch?token=\(token) HTTP/1.1\r\nHost: x\r\n\r\n") }
                    }
                    return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
                }
                let started = answers.filter { $0.header("set-cookie")?.hasPrefix("fsr_session=") == true }
                #expect(started.count == 1 && started.first?.status == 303)
                #expect(answers.filter { $0.status == 303 }.count == 1, "answers: \(answers.map(\.status))")
                let sessions = try await harness.application.database.read { try $0.queryFirst("SELECT COUNT(*) AS n FROM sessions")?.int("n") }
                #expect(sessions == 1)
                #expect(try await harness.auditActions().filter { $0 == "session.start:launch_token_reused" }.count == 2)
            }
        }
    }

    /// The OAuth callback (state and code) replayed to every replica at once: the state is consumed once, so the
    /// code is exchanged once at Fullscript and one token is stored.
    @Test func anOAuthCallbackSentToEveryReplicaAtOnceExchangesItsCodeOnce() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            try await harness.withReplicas(2) { replicas in
                let connect = try await harness.startConnect(returnTo: "/", user: nil, cookie: session)
                let binding = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
                let location = try #require(connect.header("location"))
                let authorize = try #require(URLComponents(string: location))
                let approved = try await harness.fullscript.execute(
                    "GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=prac-1 HTTP/1.1\r\nHost: x\r\n\r\n")
                let backLocation = try #require(approved.header("location"))
                let back = try #require(URLComponents(string: backLocation))
                let callback = "GET /oauth/fullscript/callback?\(back.percentEncodedQuery ?? "") HTTP/1.1\r\nHost: x\r\nCookie: \(binding)\r\n\r\n"
                let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                    for upstream in harness.upstreams(with: replicas) {
                        group.addTask { try await upstream.execute(callback).status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(answers.filter { $0 == 200 }.count == 1, "answers: \(answers)")
                let exchanges = await harness.sandbox.recordedRequests().filter { $0.method == "POST" && $0.path == "/api/oauth/token" }
                #expect(exchanges.count == 1)
                #expect(try await harness.storedRows().count == 1)
                #expect(try await harness.auditActions().filter { $0 == "fullscript.connect:connected" }.count == 1)
            }
        }
    }
}
