@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import ServerTesting
import Store
import Testing
import Server

/// What a user sees when what we depend on misbehaves, and what is left in the database.
/// (Fullscript's 5xx, slowness and malformed answers are in RecommendRoutesTests and PlanRoutesTests;
/// kill -9 during webhooks and refreshes is scripts/fault-test.sh.)
struct FaultTests {
    @Test func aDatabaseHeldByAnotherProcessIsA503WithRetryAfterAndNothingHalfWritten() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["DATABASE_BUSY_TIMEOUT_MS": "200"])) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let clicksBefore = try await harness.recommendations().count
            // Fullscript's side of the token has expired: the click must refresh, and Fullscript issues a
            // new pair that the lock below keeps us from storing.
            await harness.sandbox.advanceClock(by: 7201)

            // Another process (a backup, sqlite3 by hand) takes the write lock and keeps it.
            let other = try SQLiteConnection(path: harness.application.config.database.path, busyTimeout: .milliseconds(10))
            _ = try other.execute("BEGIN IMMEDIATE")
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 503)
            #expect(click.header("retry-after") == "5")
            #expect(click.header("content-type")?.hasPrefix("text/html") == true)
            #expect(click.text.contains("Try again in a few seconds"), "\(click.text)")
            let api = try await harness.putPatient("p-77", body: #"{"email":"taylor.kim@example.com","first_name":"Taylor"}"#, key: key)
            #expect(api.status == 503)
            #expect(try api.apiError["code"] as? String == "database_busy")
            #expect(api.header("retry-after") == "5")
            _ = try other.execute("ROLLBACK")

            #expect(try await harness.recommendations().count == clicksBefore, "the refused click left no row")
            #expect(try await harness.application.patients.find("p-77", in: Tenant.defaultID) == .unknown)
            // The pair we could not store was never used, so the stored pair's refresh token still works.
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "and all is well once the lock goes")
            #expect(await harness.sandbox.tokenRefreshCount() == 2)
            #expect(try await harness.putPatient("p-77", body: #"{"email":"taylor.kim@example.com","first_name":"Taylor"}"#, key: key).status == 201)
        }
    }

    /// A busy database is not a signed-out user: a signed-in click whose session is due for its
    /// idle-expiry stamp (a write) while another process holds the write lock is a 503, never the
    /// sign-in answer, and the session still works once the lock goes.
    @Test func aDatabaseHeldByAnotherProcessNeverSignsTheUserOut() async throws {
        try await withHarness(identity: nil, environment: ["DATABASE_BUSY_TIMEOUT_MS": "200", "EHR_DEMO_SIGN_IN": "true"]) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            harness.clock.advance(by: SessionStore.touchInterval + 1)

            let other = try SQLiteConnection(path: harness.application.config.database.path, busyTimeout: .milliseconds(10))
            _ = try other.execute("BEGIN IMMEDIATE")
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 503, "not the demo's sign-in redirect (303) nor a 401")
            #expect(click.header("retry-after") == "5")
            #expect(click.text.contains("Try again in a few seconds"), "\(click.text)")
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            #expect(me.status == 503)
            #expect(try me.apiError["code"] as? String == "database_busy")
            #expect(me.header("retry-after") == "5")
            _ = try other.execute("ROLLBACK")

            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).status == 200, "still signed in once the lock goes")
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
        }
    }

    /// Any failure reading the session (here its table gone, as in a damaged or foreign database) is
    /// a server error, not "not signed in".
    @Test func aSessionThatCannotBeReadIsAServerErrorNotASignIn() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await harness.signIn()
            _ = try await harness.application.database.write { try $0.execute("ALTER TABLE sessions RENAME TO sessions_elsewhere") }
            for path in ["/ehr/api/me", "/ehr/api/patients", "/recommend/p-1001", "/oauth/fullscript/connect"] {
                let answer = try await harness.get(path, user: nil, cookie: session)
                #expect(answer.status == 500, "\(path): \(answer.status)")
            }
            #expect(try await harness.get("/ehr/api/me", user: nil).status == 401, "without a cookie there is nothing to read")
        }
    }

    /// The same for the other lookups that decide who may do what: a service key or a Fullscript
    /// connection that cannot be read is a server error, not "invalid key" nor "connect first".
    @Test func aKeyOrConnectionThatCannotBeReadIsAServerErrorNotARefusal() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            _ = try await harness.application.database.write { connection in
                try connection.execute("ALTER TABLE service_keys RENAME TO service_keys_elsewhere")
                try connection.execute("ALTER TABLE fullscript_connections RENAME TO fullscript_connections_elsewhere")
            }
            let api = try await harness.putPatient("p-77", body: #"{"email":"taylor.kim@example.com"}"#, key: key)
            #expect(api.status == 500, "not 401 invalid_token")
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 500, "not the connect page")
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).status == 500, "not connected: false")
        }
    }

    @Test func fullscriptResettingOrGoneIsA502AndThePractitionerStaysConnected() async throws {
        // A reset GET is retried within the call's deadline: a short one keeps the test short.
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_TIMEOUT_MS": "2000"])) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)

            await harness.sandbox.setFaults([.closeConnection])
            let reset = try await harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "Accept: application/json"])
            #expect(reset.status == 502)
            #expect(reset.text.contains(#""code":"fullscript_unavailable""#))
            let resetRefresh = try await harness.refreshPlans("p-1001", session: session)
            #expect(resetRefresh.status == 502)
            await harness.sandbox.clearFaults()

            await harness.sandboxServer.shutdown()
            let gone = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(gone.status == 502)
            #expect(gone.text.contains("Fullscript is unavailable"))
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 502)
            // A token due for refresh while Fullscript is gone is kept: a passing failure is not a reason to reconnect.
            harness.clock.advance(by: 7200 - 60)
            do {
                _ = try await harness.application.vault.accessToken(for: EHRUser(id: "dr-quinn"))
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
}

