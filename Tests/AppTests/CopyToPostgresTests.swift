@testable import App
import Foundation
import PostgresStore
import Server
import ServerTesting
import Store
import Testing

/// `migrate --copy-to`: a SQLite deployment the app itself filled, moved to PostgreSQL, where the app
/// carries on with the same key; and the refusals that protect a target or a stale source.
/// Runs on the PostgreSQL server of `TEST_DATABASE=postgres` (scripts/test.sh).
@Suite(.enabled(if: TestDatabase.isPostgres, "needs TEST_DATABASE=postgres"))
struct CopyToPostgresTests {
    /// The harness's own store, whatever TEST_DATABASE says: the copy's source is SQLite.
    static let onSQLite = ["DATABASE_URL": ""]
    static let password = "pw-7d1c-never-printed"

    /// A new, empty PostgreSQL database; its URL carries a password (the test server trusts local
    /// connections and never asks for it), so output can be checked for it.
    static func emptyTarget() throws -> String {
        let folder = URL(fileURLWithPath: "/tmp/copy-\(UUID().uuidString)")
        let url = try #require(TestDatabase.environment(for: folder)["DATABASE_URL"])
        return url.replacingOccurrences(of: "postgres@", with: "postgres:\(password)@")
    }

    static func sourceSettings(path: String) async throws -> DatabaseSettings {
        try await DatabaseSettings.load(directory: repositoryRoot + "/config", environment: [
            "DATABASE_PATH": path, "MIGRATIONS_DIR": repositoryRoot + "/Migrations", "DATABASE_URL": "",
        ]).0
    }

    /// Rows per table, schema_migrations aside (each store records its own migrations).
    static func rowCounts(_ database: any SQLDatabase) async throws -> [String: Int] {
        try await database.read { connection in
            let tables = switch connection.dialect {
            case .sqlite: try connection.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") { try $0.string(0) }
            case .postgres: try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()") { try $0.string(0) }
            }
            return try tables.filter { $0 != "schema_migrations" }.reduce(into: [:]) { counts, table in
                counts[table] = try connection.queryFirst("SELECT count(*) FROM \(table)")?.int(0)
            }
        }
    }

    static func copy(_ settings: DatabaseSettings, to url: String, output: LineRecord = LineRecord()) async throws {
        try await CopyToPostgresCommand.run(source: settings, targetURL: url) { output.append($0) }
    }

    /// Every table gets rows through the app's own flows: a service key, a launch, a connection, a
    /// click, a plan activated and refreshed and read with names, a staff member's remembered choice,
    /// a patient update queued for Fullscript, and order and lab webhooks.
    static func fill(_ harness: ConnectedHarness) async throws -> (session: String, planID: String) {
        let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
        let (session, planID, fullscriptPatientID) = try await PlanRoutesTests.activatePlan(on: harness)
        #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
        _ = try await harness.chartList(session: session)
        // Names a slow catalog answers are stored after the chart is answered: the counts must settle first.
        #expect(try await eventually {
            let counts = try await rowCounts(harness.application.database)
            return counts["catalog_variants"] == 3 && counts["clinic_practitioner_names"] == 1
        })
        let staff = try await harness.signIn("sam-ortiz")
        try await harness.connect(session: staff, as: "staff-1")
        #expect(try await harness.get("/recommend/p-1001?practitioner_id=prac-1&remember=1", user: nil, cookie: staff).status == 302)
        #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
        #expect(try await eventually { try await PatientSyncTests.status(harness) == "synced" })
        let order = OrderEvent.order(plans: [planID], patient: fullscriptPatientID, lab: true)
        #expect(try await harness.deliver(OrderEvent.body("ev-o1", type: "order.placed", member: "order", order)).status == 200)
        let lab = OrderEvent.labOrder(state: "results_ready", updatedAt: "2024-05-05T10:00:00.000Z", patient: fullscriptPatientID)
        #expect(try await harness.deliver(OrderEvent.body("ev-l1", type: "lab_order.updated", member: "lab_order", lab)).status == 200)
        try await harness.deliverBarrier()
        return (session, planID)
    }

    @Test func aFilledDeploymentMovesWithEveryRowAndTheAppCarriesOnWithTheSameKey() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(Self.onSQLite)) { harness in
            let (session, _) = try await Self.fill(harness)
            let before = try await Self.rowCounts(harness.application.database)
            #expect(before.filter { $0.value == 0 }.isEmpty, "a table without rows proves nothing: fill it in fill(_:)")

            let url = try Self.emptyTarget()
            let output = LineRecord()
            try await Self.copy(harness.application.config.database, to: url, output: output)
            let text = output.all.joined()
            #expect(!text.contains(Self.password))
            #expect(text.contains("applied 0020_baseline.sql to PostgreSQL"))
            for (table, rows) in before {
                #expect(text.contains("copied \(table): \(rows) row(s)\n"), "\(table)")
            }
            #expect(text.contains("audit_log.id continues at") && text.contains("webhook_events.rowid continues at"))
            #expect(text.contains("Copied \(before.values.reduce(0, +)) row(s) in \(before.count) tables in "))

            var config = harness.application.config
            config.database.postgres = try PostgresConnectionString(url)
            let copy = try await Application(config: config, logger: ApplicationTests.quietLogger, now: { harness.clock.now() })
            do {
                #expect(try await Self.rowCounts(copy.database) == before)
                // The session, the connection and its sealed token came across: the click reaches the
                // simulator with the token the same key opens, and its audit row gets the next id.
                let planLinks = await harness.planLinkRequests().count
                let app = TestTransport.router(copy.server.routes, limits: config.server.limits)
                let click = try await app.execute("GET /recommend/p-1001 HTTP/1.1\r\nHost: x\r\nCookie: \(session)\r\n\r\n")
                #expect(click.status == 302)
                #expect(click.header("location")?.hasPrefix("http://127.0.0.1/sandbox/plans/") == true)
                #expect(await harness.planLinkRequests().count == planLinks + 1)
                #expect(try await Self.rowCounts(copy.database)["recommendations"] == (before["recommendations"] ?? 0) + 1)
            } catch {
                await copy.shutdown()
                throw error
            }
            await copy.shutdown()

            // A second copy finds data there, says so, and writes nothing.
            let target = try PostgresDatabase(url: url, poolSize: 1)
            defer { target.close() }
            let held = try await Self.rowCounts(target)
            let error = await #expect(throws: CopyError.self) { try await Self.copy(harness.application.config.database, to: url) }
            #expect(error == .targetHoldsData(held))
            #expect("\(String(describing: error))".contains("already holds data"))
            #expect(try await Self.rowCounts(target) == held)
        }
    }

    @Test func aSourceBehindItsNewestMigrationIsRefusedBeforeAnythingIsWritten() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.sqlite").path
        let settings = try await Self.sourceSettings(path: path)
        let url = try Self.emptyTarget()

        let missing = await #expect(throws: CopyError.self) { try await Self.copy(settings, to: url) }
        #expect(missing == .sourceMissing(path: path))
        #expect(!FileManager.default.fileExists(atPath: path), "looking must not create an empty database")

        let migrations = try Migrations.load(fromPath: settings.migrationsDirectory, for: .sqlite)
        let source = try Database(path: path)
        try await MigrationRunner(database: source, migrations: Array(migrations.dropLast())).applyPending()
        source.close()
        let stale = await #expect(throws: CopyError.self) { try await Self.copy(settings, to: url) }
        #expect(stale == .sourceBehind(pending: [try #require(migrations.last).fileName]))
        #expect("\(String(describing: stale))".contains("Run `fullscript-redirect migrate`"))

        var onPostgres = settings
        onPostgres.postgres = try PostgresConnectionString(url)
        await #expect(throws: CopyError.sourceNotSQLite) { try await Self.copy(onPostgres, to: url) }

        let target = try PostgresDatabase(url: url, poolSize: 1)
        defer { target.close() }
        #expect(try await target.read { try $0.queryFirst("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")?.int(0) } == 0,
                "not even the migrations ran")
    }

    /// A table one store has and the other lacks (an operator's own, or a migration without its twin).
    @Test func aTableOnOneSideOnlyIsRefusedAndNothingIsCopied() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.sqlite").path
        let settings = try await Self.sourceSettings(path: path)
        let source = try Database(path: path)
        try await MigrationRunner(database: source, migrations: try Migrations.load(fromPath: settings.migrationsDirectory, for: .sqlite)).applyPending()
        try await source.write { try $0.execute("CREATE TABLE operator_notes (body TEXT) STRICT") }
        try await source.write { try $0.execute("INSERT INTO operator_notes VALUES ('kept here')") }
        let url = try Self.emptyTarget()

        let onlyInSQLite = await #expect(throws: CopyError.self) { try await Self.copy(settings, to: url) }
        #expect(onlyInSQLite == .tablesDiffer(onlyInSource: ["operator_notes"], onlyInTarget: []))

        try await source.write { try $0.execute("DROP TABLE operator_notes") }
        source.close()
        let target = try PostgresDatabase(url: url, poolSize: 1)
        defer { target.close() }
        try await target.write { try $0.execute("CREATE TABLE reports (id bigint)") }
        let onlyInPostgres = await #expect(throws: CopyError.self) { try await Self.copy(settings, to: url) }
        #expect(onlyInPostgres == .tablesDiffer(onlyInSource: [], onlyInTarget: ["reports"]))
        #expect(try await target.read { try SQLiteToPostgresCopy.rowsHeld(by: $0) }.isEmpty, "only the migrations' own rows")
    }
}
