import Foundation
import Store
import Testing

@Suite struct MigrationRunnerTests {
    private func withDatabase<T>(_ body: (Database, URL) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            let migrations = directory.appendingPathComponent("migrations", isDirectory: true)
            try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
            let database = try Database(path: directory.file("app.sqlite"))
            defer { database.close() }
            return try await body(database, migrations)
        }
    }

    private func write(_ contents: String, to name: String, in directory: URL) throws {
        try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
    }

    private func runner(_ database: Database, _ directory: URL) throws -> MigrationRunner {
        MigrationRunner(database: database, migrations: try Migrations.load(from: directory))
    }

    private func tables(_ database: Database) async throws -> [String] {
        try await database.read { connection in
            try connection.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") { try $0.string(0) }
        }
    }

    @Test func appliesInNumericOrderAndRecordsChecksums() async throws {
        try await withDatabase { db, directory in
            // 0010 depends on 0002: applying in file-name order would fail.
            try write("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id)) STRICT;", to: "0010_b.sql", in: directory)
            try write("CREATE TABLE a (id INTEGER PRIMARY KEY) STRICT;", to: "0002_a.sql", in: directory)
            try write("CREATE TABLE c (id INTEGER PRIMARY KEY) STRICT; INSERT INTO b (a_id) VALUES (NULL);", to: "0100_c.sql", in: directory)
            let runner = try runner(db, directory)

            let applied = try await runner.applyPending()
            #expect(applied.map(\.version) == [2, 10, 100])
            #expect(try await tables(db) == ["a", "b", "c", "schema_migrations"])

            let recorded = try await db.read { connection in
                try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") { row in
                    [try row.string("name"), try row.string("checksum"), try row.string("applied_at")]
                }
            }
            #expect(recorded.map { $0[0] } == ["a", "b", "c"])
            #expect(recorded.map { $0[1] } == runner.migrations.map(\.checksum))
            #expect(recorded.allSatisfy { $0[2].hasSuffix("Z") && $0[2].count == 24 })
        }
    }

    @Test func rerunningAppliesNothing() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            let runner = try runner(db, directory)
            #expect(try await runner.applyPending().count == 1)
            #expect(try await runner.applyPending().isEmpty)
            #expect(try await runner.pending().isEmpty)
            #expect(try await MigrationRunner(database: db, migrations: try Migrations.load(from: directory)).applyPending().isEmpty)
        }
    }

    @Test func statusAndPending() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            try await runner(db, directory).applyPending()
            try write("CREATE TABLE b (id INTEGER) STRICT;", to: "0002_b.sql", in: directory)
            let runner = try runner(db, directory)

            let status = try await runner.status()
            #expect(status.map(\.migration.version) == [1, 2])
            #expect(status.map(\.isApplied) == [true, false])
            #expect(status[1].state == .pending)
            #expect(try await runner.pending().map(\.name) == ["b"])
        }
    }

    @Test func readOnlyOperationsOnAFreshDatabaseChangeNothing() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            let runner = try runner(db, directory)
            try await runner.verify()
            #expect(try await runner.status().map(\.state) == [.pending])
            #expect(try await runner.pending().map(\.version) == [1])
            #expect(try await tables(db).isEmpty)

            try await runner.applyPending()
            #expect(try await tables(db) == ["a", "schema_migrations"])
        }
    }

    @Test func noMigrationsStillCreatesTheTable() async throws {
        try await withDatabase { db, _ in
            let applied = try await MigrationRunner(database: db, migrations: []).applyPending()
            #expect(applied.isEmpty)
            #expect(try await tables(db) == ["schema_migrations"])
        }
    }

    @Test func changedAppliedFileIsAChecksumMismatchAndNothingIsApplied() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            try await runner(db, directory).applyPending()
            try write("CREATE TABLE a (id INTEGER, sneaky TEXT) STRICT;", to: "0001_a.sql", in: directory)
            try write("CREATE TABLE b (id INTEGER) STRICT;", to: "0002_b.sql", in: directory)
            let runner = try runner(db, directory)

            await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "a")) { try await runner.verify() }
            await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "a")) { try await runner.applyPending() }
            #expect(try await tables(db) == ["a", "schema_migrations"])
        }
    }

    @Test func missingAppliedFileIsReported() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            try write("CREATE TABLE b (id INTEGER) STRICT;", to: "0002_b.sql", in: directory)
            try await runner(db, directory).applyPending()
            try FileManager.default.removeItem(at: directory.appendingPathComponent("0001_a.sql"))
            let runner = try runner(db, directory)

            await #expect(throws: MigrationError.missingFile(version: 1)) { try await runner.verify() }
            await #expect(throws: MigrationError.missingFile(version: 1)) { try await runner.applyPending() }
        }
    }

    @Test func failingMigrationRollsBackAndStops() async throws {
        try await withDatabase { db, directory in
            try write("CREATE TABLE a (id INTEGER) STRICT;", to: "0001_a.sql", in: directory)
            try write(
                """
                CREATE TABLE half (id INTEGER) STRICT;
                INSERT INTO half VALUES (1);
                INSERT INTO missing_table VALUES (1);
                """,
                to: "0002_broken.sql", in: directory
            )
            try write("CREATE TABLE c (id INTEGER) STRICT;", to: "0003_c.sql", in: directory)
            let runner = try runner(db, directory)

            let error = await #expect(throws: MigrationError.self) { try await runner.applyPending() }
            guard case let .failed(fileName, message, _) = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(fileName == "0002_broken.sql")
            #expect(message == "no such table: missing_table")
            #expect(error?.description.contains("0002_broken.sql") == true)
            #expect(error?.description.contains("no such table: missing_table") == true)

            #expect(try await tables(db) == ["a", "schema_migrations"])
            #expect(try await runner.status().map(\.isApplied) == [true, false, false])
        }
    }

    @Test func bundledMigrationsCreateAnAppendOnlyAuditLog() async throws {
        let bundled = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migrations/sqlite", isDirectory: true)
        try await withDatabase { db, _ in
            let runner = MigrationRunner(database: db, migrations: try Migrations.load(from: bundled))
            #expect(try await runner.applyPending().first?.fileName == "0001_audit_log.sql")

            let id = try await db.write { connection in
                try connection.execute(
                    """
                    INSERT INTO audit_log (occurred_at, actor, action, subject, outcome, request_id, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    ["2025-01-31T12:00:00.000Z", "user:42", "redirect.create", nil, "success", "req-1", nil]
                )
                return connection.lastInsertRowID
            }
            let error = await #expect(throws: SQLiteError.self) {
                try await db.write { try $0.execute("UPDATE audit_log SET outcome = 'failure' WHERE id = ?", [.integer(id)]) }
            }
            #expect(error?.message == "audit_log is append-only")
            await #expect(throws: SQLiteError.self) {
                try await db.write { try $0.execute("DELETE FROM audit_log") }
            }
            // STRICT: a value that cannot be losslessly converted is refused, not stored as is.
            await #expect(throws: SQLiteError.self) {
                try await db.write {
                    try $0.execute("INSERT INTO audit_log (id, occurred_at, actor, action, outcome) VALUES (?, 't', 'a', 'b', 'c')", ["x"])
                }
            }
            let plan = try await db.read { connection in
                try connection.query(
                    "EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE actor = ? ORDER BY occurred_at DESC", ["user:42"]
                ) { try $0.string("detail") }
            }
            #expect(plan.contains { $0.contains("audit_log_actor_occurred_at") })
        }
    }

    /// Every click inserts a `recommendations` row: its checks must not build a temporary index per insert (an `IN`
    /// list did), and must still refuse what they refused.
    @Test func aClicksAuditRowNeedsNoTemporaryIndex() async throws {
        let bundled = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migrations/sqlite", isDirectory: true)
        try await withDatabase { db, _ in
            _ = try await MigrationRunner(database: db, migrations: try Migrations.load(from: bundled)).applyPending()
            let insert = """
                INSERT INTO recommendations (tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind,
                                             entrypoint, outcome, fullscript_request_id, request_id, detail)
                VALUES ('default', 't', 'u', 'p', NULL, ?, 'catalog', 'redirected', NULL, 'r', NULL)
                """
            // On the writer: a read-only connection compiles an INSERT without its checks.
            let opcodes = try await db.write { try $0.query("EXPLAIN " + insert, ["gateway"]) { try $0.string("opcode") } }
            #expect(opcodes.contains("Insert"))
            #expect(!opcodes.contains("OpenEphemeral"))
            for kind in ["draft", "gateway", "new"] { try await db.write { try $0.execute(insert, [.text(kind)]) } }
            try await db.write { try $0.execute(insert, [.null]) }
            await #expect(throws: SQLiteError.self) { try await db.write { try $0.execute(insert, ["Draft"]) } }
        }
    }
}
