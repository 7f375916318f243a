@testable import App
import Foundation
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// What a user sees when what we depend on misbehaves, and what is left in the database.
/// (Fullscript's 5xx, slowness and malformed answers are in RecommendRoutesTests and PlanRoutesTests;
/// kill -9 during webhooks and refreshes is scripts/fault-test.sh.)
struct FaultTests {
    @Test func aDatabaseHeldByAnotherProcessIsA503WithRetryAfterAndNothingHalfWritten() async throws {
        let harness = try await RecommendRoutesTests.harness(["DATABASE_BUSY_TIMEOUT_MS": "200"])
        defer { Task { await harness.stop() } }
        let session = try harness.signIn()
        try harness.connect(session: session)
        let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync")
        let clicksBefore = try await harness.recommendations().count
        // Fullscript's side of the token has expired: the click must refresh, and Fullscript issues a
        // new pair that the lock below keeps us from storing.
        await harness.sandbox.advanceClock(by: 7201)

        // Another process (a backup, sqlite3 by hand) takes the write lock and keeps it.
        let other = try SQLiteConnection(path: harness.application.config.databasePath, busyTimeout: .milliseconds(10))
        _ = try other.execute("BEGIN IMMEDIATE")
        let click = try harness.get("/recommend/p-1001", user: nil, cookie: session)
        #expect(click.status == 503)
        #expect(click.header("retry-after") == "5")
        #expect(click.header("content-type")?.hasPrefix("text/html") == true)
        #expect(click.text.contains("Try again in a few seconds"), "\(click.text)")
        let api = try harness.putPatient("p-77", body: #"{"email":"taylor.kim@example.com","first_name":"Taylor"}"#, key: key)
        #expect(api.status == 503)
        #expect(try api.apiError["code"] as? String == "database_busy")
        #expect(api.header("retry-after") == "5")
        _ = try other.execute("ROLLBACK")

        #expect(try await harness.recommendations().count == clicksBefore, "the refused click left no row")
        #expect(try await harness.application.patients.find("p-77") == .unknown)
        // The pair we could not store was never used, so the stored pair's refresh token still works.
        #expect(try harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "and all is well once the lock goes")
        #expect(await harness.sandbox.tokenRefreshCount() == 2)
        #expect(try harness.putPatient("p-77", body: #"{"email":"taylor.kim@example.com","first_name":"Taylor"}"#, key: key).status == 201)
    }

    @Test func fullscriptResettingOrGoneIsA502AndThePractitionerStaysConnected() async throws {
        // A reset GET is retried within the call's deadline: a short one keeps the test short.
        let harness = try await RecommendRoutesTests.harness(["FULLSCRIPT_TIMEOUT_MS": "1000"])
        defer { Task { await harness.stop() } }
        let session = try harness.signIn()
        try harness.connect(session: session)
        #expect(try harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)

        await harness.sandbox.setFaults([.closeConnection])
        let reset = try harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "Accept: application/json"])
        #expect(reset.status == 502)
        #expect(reset.text.contains(#""code":"fullscript_unavailable""#))
        let resetRefresh = try harness.refreshPlans("p-1001", session: session)
        #expect(resetRefresh.status == 502)
        await harness.sandbox.clearFaults()

        await harness.sandboxServer.shutdown()
        let gone = try harness.get("/recommend/p-1001", user: nil, cookie: session)
        #expect(gone.status == 502)
        #expect(gone.text.contains("Fullscript is unavailable"))
        #expect(try harness.refreshPlans("p-1001", session: session).status == 502)
        // A token due for refresh while Fullscript is gone is kept: a passing failure is not a reason to reconnect.
        harness.clock.advance(by: 7200 - 60)
        do {
            _ = try await harness.application.vault.accessToken(for: "dr-quinn")
            Issue.record("a refresh succeeded with Fullscript gone")
        } catch TokenVaultError.fullscript(let error) {
            guard case .unavailable = error.kind else { Issue.record("\(error)"); return }
        }
        let stored = try await harness.application.database.read { connection in
            try connection.query("SELECT status FROM fullscript_connections WHERE ehr_user_id = 'dr-quinn'") { try $0.string("status") }
        }
        #expect(stored == ["connected"])
        #expect(try await harness.recommendations().filter { $0.contains("|redirected|") }.count == 1)
    }
}

extension ConnectedHarness {
    func putPatient(_ id: String, body: String, key: String) throws -> TestResponse {
        let client = try TestClient(port: application.port)
        client.send("PUT /api/v1/patients/\(id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try client.readResponse()
    }
}
