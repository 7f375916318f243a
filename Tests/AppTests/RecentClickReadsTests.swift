@testable import App
import Foundation
import ServerTesting
import Store
import Testing

/// A click repeated on a patient reads no rows (`RecentClickReads`), and still sees at once what changed them,
/// whichever process changed them. The clock stands still, so nothing kept grows old on its own.
@Suite struct RecentClickReadsTests {
    private static let deletedAt: DatabaseValue = .text("2026-12-07T00:00:00Z")

    private func withKeptClick(_ body: (ConnectedHarness, String) async throws -> Void) async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            harness.clock.freeze()
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            for _ in 0..<2 { #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302) }
            try await body(harness, session)
        }
    }

    /// A `fullscript-redirect` command beside the server (`tokens`, `tenants`, `reconcile`) opens a store of its own.
    private func anotherProcess(of harness: ConnectedHarness, _ sql: String, _ bindings: [DatabaseValue] = []) async throws {
        let command = try Database(path: harness.config.database.path)
        defer { command.close() }
        try await command.write { try $0.execute(sql, bindings) }
    }

    @Test func aPatientAnotherProcessDeletedIsRefusedAtTheNextClick() async throws {
        try await withKeptClick { harness, session in
            try await anotherProcess(of: harness, "UPDATE patients SET deleted_at = ? WHERE ehr_patient_id = 'p-1001'", [Self.deletedAt])
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 410)
            #expect(click.text.contains("removed from the EHR"))
        }
    }

    @Test func aConnectionAnotherProcessRemovedSendsTheNextClickToConnect() async throws {
        try await withKeptClick { harness, session in
            try await anotherProcess(of: harness, "DELETE FROM fullscript_connections")
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.status == 303)
            #expect(click.header("location")?.hasPrefix("/oauth/fullscript/connect") == true)
        }
    }

    @Test func aClinicRepinnedByAnotherProcessIsHeldToAtTheNextClick() async throws {
        try await withKeptClick { harness, session in
            try await anotherProcess(of: harness, "UPDATE tenants SET fullscript_clinic_id = ?", [.text(ConnectedHarness.otherClinicID)])
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 303,
                    "a connection to the clinic the practice left is not used")
        }
    }

    @Test func aPatientThisProcessDeletedIsRefusedAtTheNextClick() async throws {
        try await withKeptClick { harness, session in
            _ = try await harness.application.patients.delete(
                "p-1001", in: Tenant.defaultID,
                audit: AuditEntry(tenant: Tenant.defaultID, actor: "t", action: "patient.delete", outcome: "ok"), at: harness.clock.now()
            )
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 410)
        }
    }

    /// The `sqlite3` shell writes without counting: what a click kept is read again once it is a second old.
    @Test func aWriteNobodyCountedIsSeenOnceWhatWasKeptGrowsOld() async throws {
        try await withKeptClick { harness, session in
            let shell = try SQLiteConnection(path: harness.config.database.path)
            try shell.execute("UPDATE patients SET deleted_at = ? WHERE ehr_patient_id = 'p-1001'", [Self.deletedAt])
            shell.close()
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "kept, and not yet old")
            harness.clock.advance(by: RecentClickReads.maximumAge)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 410)
        }
    }
}

/// What `RecentClickReads` holds (opened tokens among it) goes when it is out of date, not at the cap alone.
@Suite struct RecentClickReadsMemoryTests {
    private static let snapshot = ClickRead.Snapshot(patient: .unknown, naming: .nobody, connection: nil)

    @Test func everythingKeptGoesWhenTheTablesChangeAndWhatGrewOldAtTheNextSweep() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kept-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try Database(path: directory.appendingPathComponent("app.sqlite").path)
        defer { database.close() }
        try await database.write { try $0.execute("CREATE TABLE patients (id INTEGER)") }
        let recent = RecentClickReads(changes: try #require(database.tableChanges))
        let start = Date()
        let user = EHRUser(id: "dr-quinn")
        recent.remember(Self.snapshot, of: "p-1", for: user, version: recent.version, at: start)
        recent.remember(Self.snapshot, of: "p-2", for: user, version: recent.version, at: start.addingTimeInterval(0.5))
        #expect(recent.count == 2)
        recent.remember(Self.snapshot, of: "p-3", for: user, version: recent.version, at: start.addingTimeInterval(1.2))
        #expect(recent.count == 2, "p-1 was more than a second old at the sweep")
        #expect(recent.snapshot(of: "p-3", for: user, at: start.addingTimeInterval(1.3)) != nil)

        try await database.write { try $0.execute("INSERT INTO patients VALUES (1)") }
        #expect(recent.snapshot(of: "p-3", for: user, at: start.addingTimeInterval(1.3)) == nil)
        #expect(recent.count == 0)
    }
}
