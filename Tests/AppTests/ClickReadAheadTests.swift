@testable import App
import Foundation
import FullscriptSandbox
import PostgresStore
import ServerTesting
import Store
import Testing

/// On PostgreSQL, where every request reads its session, a click's own reads go in the session's round trip
/// (`ClickReadAhead`): and a session ended anywhere still ends every click at once. scripts/test.sh runs this
/// suite on PostgreSQL; on SQLite, where sessions are kept (`RecentSessions`), only what holds there runs.
@Suite struct ClickReadAheadTests {
    /// Links Fullscript made: a draft's, or a mapped patient's gateway link.
    private static func links(_ harness: ConnectedHarness) async -> Int {
        await harness.sandbox.recordedRequests().filter { $0.method == "POST" && $0.path.hasSuffix("/treatment_plans") }.count
    }

    /// The round trips to PostgreSQL of `target`'s request by a signed-in, connected user, after one to warm up: the
    /// fewest of five, since the count is the store's and work in the background (the patient's sync the first click
    /// started) may add to it. Each answer goes to `check`.
    private static func roundTrips(of target: String, _ check: (TestResponse) -> Void) async throws -> [Int] {
        var counts: [Int] = []
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let database = try #require(harness.application.database as? PostgresDatabase)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            check(try await harness.get(target, user: nil, cookie: session))
            for _ in 0..<5 {
                let before = database.briefRoundTrips
                check(try await harness.get(target, user: nil, cookie: session))
                counts.append(database.briefRoundTrips - before)
            }
        }
        return counts
    }

    /// The session with the patient, its email's holders and the token; then the audit row: two round trips.
    @Test(.enabled(if: TestDatabase.isPostgres)) func aClickReadsWithItsSessionInOneRoundTrip() async throws {
        let counts = try await Self.roundTrips(of: "/recommend/p-1001") { #expect($0.status == 302) }
        #expect(counts.min() == 2, "the session and the click's reads, then the audit row: \(counts)")
    }

    /// The page a click opens on reads its patient in the session's round trip too: one round trip, where it made two.
    @Test(.enabled(if: TestDatabase.isPostgres)) func theOpeningPageReadsItsPatientWithItsSession() async throws {
        let counts = try await Self.roundTrips(of: "/recommend/p-1001/opening") { page in
            #expect(page.status == 200)
            #expect(page.text.contains("Jordan"), "the patient it names")
        }
        #expect(counts.min() == 1, "the session with the patient: \(counts)")
    }

    /// Replica 1 read the session (and so sends the click's reads with it); replica 2 signs the user out. Replica 1's
    /// next click is not signed in, and Fullscript is asked for nothing.
    @Test(.enabled(if: TestDatabase.isPostgres)) func aSessionEndedOnAnotherReplicaEndsTheNextClickThere() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            try await harness.withReplicas(1) { replicas in
                let other = replicas[0].app
                let out = try await other.execute(
                    "POST /logout HTTP/1.1\r\nHost: x\r\nCookie: \(session)\r\nSec-Fetch-Site: same-origin\r\nContent-Length: 0\r\n\r\n"
                )
                #expect(out.status == 303)
                let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
                #expect(click.status == 401)
                #expect(await Self.links(harness) == 1, "no link after the sign-out")
            }
        }
    }

    /// A session that grew idle past its timeout between two clicks, with nobody ending it: the read finds no live
    /// session, and the reads sent with it serve nobody.
    @Test func aSessionIdleTooLongEndsTheNextClick() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            harness.clock.freeze()
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            harness.clock.advance(by: harness.config.ehr.sessionIdleTimeout)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 401)
            #expect(await Self.links(harness) == 1)
        }
    }

    /// Rows read ahead for one patient or user are never another's snapshot.
    @Test func rowsReadForAnotherPatientOrUserAreNotUsed() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let user = EHRUser(id: "dr-quinn")
            let read = ClickRead(database: harness.application.database, vault: harness.application.vault, now: { harness.clock.now() })
            let nothing = [[Row]](repeating: [], count: 3)
            for ahead in [ClickRead.ReadAhead(patientID: "p-9999", user: user, rows: nothing),
                          ClickRead.ReadAhead(patientID: "p-1001", user: EHRUser(id: "dr-other"), rows: nothing)] {
                let snapshot = try await read.read(patientID: "p-1001", for: user, ahead: ahead)
                guard case .found = snapshot.patient else {
                    Issue.record("read \(snapshot.patient), not the stored patient")
                    continue
                }
                #expect(snapshot.connection != nil)
            }
            let unknown = try await read.read(patientID: "p-1001", for: user, ahead: ClickRead.ReadAhead(patientID: "p-1001", user: user, rows: nothing))
            guard case .unknown = unknown.patient else {
                Issue.record("the rows read ahead for this patient and user are what it read: \(unknown.patient)")
                return
            }
        }
    }
}
