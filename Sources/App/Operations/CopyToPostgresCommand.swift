import Foundation
import PostgresStore
import Store

/// `fullscript-redirect migrate --copy-to postgres://…`: moves a SQLite deployment to PostgreSQL.
///
/// The SQLite database must be at its newest migration; the PostgreSQL one must hold no data (its
/// migrations are applied here when it has none yet). Then `SQLiteToPostgresCopy` copies every table
/// from one SQLite snapshot in one PostgreSQL transaction. Sealed tokens are copied as they are, so the
/// same TOKEN_ENCRYPTION_KEY opens them. `output` hears a line per step; the URL only ever shows redacted.
public enum CopyToPostgresCommand {
    public static func run(
        source settings: DatabaseSettings,
        targetURL: String,
        output: @escaping @Sendable (String) -> Void
    ) async throws {
        let target = try PostgresConnectionString(targetURL)
        let clock = ContinuousClock()
        let start = clock.now
        guard settings.postgres == nil else { throw CopyError.sourceNotSQLite }
        // Opening a path that is not there would create an empty database and copy nothing.
        guard FileManager.default.fileExists(atPath: settings.path) else { throw CopyError.sourceMissing(path: settings.path) }
        let sourceMigrations = try Migrations.load(fromPath: settings.migrationsDirectory, for: .sqlite)
        let targetMigrations = try Migrations.load(fromPath: settings.migrationsDirectory, for: .postgres)

        let source = try Database(path: settings.path, readerCount: 1, busyTimeout: .milliseconds(settings.busyTimeoutMilliseconds))
        defer { source.close() }
        let sourceRunner = MigrationRunner(database: source, migrations: sourceMigrations)
        try await sourceRunner.verify()
        let pending = try await sourceRunner.pending()
        guard pending.isEmpty else { throw CopyError.sourceBehind(pending: pending.map(\.fileName)) }
        output("Copying \(settings.path) to \(target).\n")

        try await migrate(target, with: targetMigrations, output: output)

        let tables = try await source.read { sqlite in
            // No statement timeout: one INSERT of a large table's batch, or its count, may take a while.
            let postgres = try PostgresConnection(connectionString: target, statementTimeout: .zero, statementCacheCapacity: 0)
            defer { postgres.close() }
            return try SQLiteToPostgresCopy(source: sqlite, target: postgres).run { table, rows in
                output("copied \(table): \(rows) row(s)\n")
            }
        }
        output(report(tables, seconds: (clock.now - start).timeInterval))
    }

    /// Applies the PostgreSQL migrations, after making sure there is nothing there they could disturb.
    private static func migrate(_ target: PostgresConnectionString, with migrations: [Migration], output: @Sendable (String) -> Void) async throws {
        let database = try PostgresDatabase(connectionString: target, poolSize: 1)
        defer { database.close() }
        let held = try await database.read { try SQLiteToPostgresCopy.rowsHeld(by: $0) }
        guard held.isEmpty else { throw CopyError.targetHoldsData(held) }
        for migration in try await MigrationRunner(database: database, migrations: migrations).applyPending() {
            output("applied \(migration.fileName) to PostgreSQL\n")
        }
    }

    private static func report(_ tables: [CopiedTable], seconds: Double) -> String {
        let counts = [["table", "SQLite rows", "PostgreSQL rows"]]
            + tables.map { [$0.name, String($0.sourceRows), String($0.targetRows)] }
        let sequences = tables.flatMap { table in
            table.nextValues.sorted { $0.key < $1.key }.map { "\(table.name).\($0.key) continues at \($0.value)\n" }
        }
        let rows = tables.reduce(0) { $0 + $1.targetRows }
        return "Row counts, verified equal before the commit:\n" + TextTable.render(counts) + sequences.joined()
            + "Copied \(rows) row(s) in \(tables.count) tables in \(String(format: "%.2f", seconds)) s.\n"
    }
}
