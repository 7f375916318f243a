@testable import App
import Cryptography
import Foundation
import PostgresStore
import ServerTesting
import Store
import Testing

/// Two replicas on one PostgreSQL database (`TEST_DATABASE=postgres`): a change one of them stores
/// reaches a chart streaming from the other through `LISTEN/NOTIFY`, not through the stream's
/// heartbeat, which beats once an hour here; and when the listening connection breaks, nothing is lost.
@Suite(.enabled(if: TestDatabase.isPostgres, "replicas share a PostgreSQL database"))
struct ReplicaLiveUpdatesTests {
    /// Replica A applies webhooks; replica B, on A's database, only streams charts.
    private static func withReplicas(_ body: (_ a: ConnectedHarness, _ b: ConnectedHarness) async throws -> Void) async throws {
        let key = Data(SecureRandom.bytes(count: 32)).base64EncodedString()
        try await withHarness(try await ConnectedHarness(mode: .live, key: key, identity: nil)) { a in
            let b = try await ConnectedHarness(
                mode: .live, key: key, identity: nil, environment: TestDatabase.environment(for: a.directory), processWebhooks: false,
                planStreamHeartbeat: .seconds(3600)
            )
            do {
                try await body(a, b)
            } catch {
                await b.stop()
                throw error
            }
            await b.stop()
        }
    }

    private static func planWebhook(_ event: String, plan: String) -> [UInt8] {
        PlanEvent.body(event, plan: PlanEvent.plan(plan, patient: "fs-a", updatedAt: "2024-05-01T10:00:0\(plan.suffix(1)).000Z"))
    }

    @Test func aWebhookOnOneReplicaReachesAChartStreamingFromAnother() async throws {
        try await Self.withReplicas { a, b in
            let (alice, _) = try await PlanRoutesTests.charts(on: a)
            let (chart, ready) = try await b.readyStream("p-a", session: alice)
            #expect(ready.id == "0")

            #expect(try await a.deliver(Self.planWebhook("ev-1", plan: "tp-1")).status == 200)
            let (event, skipped) = try await chart.nextEvent(within: .seconds(10))
            #expect(event.event == "plan" && event.id == "1")
            #expect(event.data?.contains(#""id":"tp-1""#) == true)
            #expect(skipped.isEmpty)
        }
    }

    /// While B's listening connection is gone, A commits a plan whose NOTIFY nobody on B hears: B wakes
    /// its charts once it listens again, and what A commits afterwards reaches B as before.
    @Test func aListenerWhoseConnectionWasKilledCatchesUpAndListensAgain() async throws {
        try await Self.withReplicas { a, b in
            let (alice, _) = try await PlanRoutesTests.charts(on: a)
            let (chart, _) = try await b.readyStream("p-a", session: alice)
            let url = try #require(TestDatabase.environment(for: a.directory)["DATABASE_URL"])
            let admin = try PostgresConnection(url: url)
            defer { admin.close() }
            let current = try admin.queryFirst("SELECT current_database() AS name")
            let database = try #require(current).string("name")
            // A database refuses connections only by a statement run from another.
            let server = try PostgresConnection(url: url.replacingOccurrences(of: database, with: "postgres"))
            defer { server.close() }
            func listeners() throws -> Int {
                let row = try admin.queryFirst(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()"
                )
                return Int(try #require(row).int64("n"))
            }
            #expect(try listeners() == 2)

            // Refused reconnections hold the listeners off until the plan is committed.
            try server.execute("ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
            try admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()"
            )
            #expect(try await eventually { try listeners() == 0 })
            #expect(try await a.deliver(Self.planWebhook("ev-1", plan: "tp-1")).status == 200)
            #expect(try await eventually { try await a.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            try server.execute("ALTER DATABASE \(database) ALLOW_CONNECTIONS true")

            let (missed, _) = try await chart.nextEvent(within: .seconds(15))
            #expect(missed.event == "plan" && missed.id == "1")

            #expect(try await eventually { try listeners() == 2 })
            #expect(try await a.deliver(Self.planWebhook("ev-2", plan: "tp-2")).status == 200)
            let (next, _) = try await chart.nextEvent(within: .seconds(10))
            #expect(next.event == "plan" && next.id == "2")
        }
    }
}
