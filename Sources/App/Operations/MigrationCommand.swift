import Store

/// `fullscript-redirect migrate`: applies or lists migrations and words the result for a terminal.
public enum MigrationCommand {
    public static func run(database settings: DatabaseSettings, statusOnly: Bool) async throws -> String {
        let database = try Application.openDatabase(settings)
        defer { database.close() }
        let runner = MigrationRunner(database: database, migrations: try Migrations.load(fromPath: settings.migrationsDirectory, for: database.dialect))
        if statusOnly {
            return try await runner.status().map { entry in
                "\(entry.isApplied ? "applied" : "pending")  \(entry.migration.fileName)\n"
            }.joined()
        }
        let applied = try await runner.applyPending()
        guard !applied.isEmpty else { return "Database \(database.location) is up to date.\n" }
        return applied.map { "applied  \($0.fileName)\n" }.joined()
            + "Applied \(applied.count) migration(s) to \(database.location).\n"
    }
}
