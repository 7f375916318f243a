import Foundation
public import Logging

public struct MigrationStatus: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// `appliedAt` is the ISO 8601 UTC time recorded in schema_migrations.
        case applied(appliedAt: String)
        case pending
    }

    public let migration: Migration
    public let state: State

    public var isApplied: Bool { state != .pending }
}

/// Applies migrations to either store and records them in `schema_migrations`.
///
/// `applyPending` creates that table if it is absent. The other operations only
/// read, on a reader connection, and treat a missing table as nothing applied:
/// they back readiness probes, which must not queue behind writes or take the
/// write lock. Each migration is applied under the store's schema lock
/// (`SQLDatabase.writeExclusively`), so processes starting together apply it once.
public struct MigrationRunner: Sendable {
    public let database: any SQLDatabase
    /// Sorted by version.
    public let migrations: [Migration]
    private let logger: Logger

    public init(database: any SQLDatabase, migrations: [Migration], logger: Logger = Logger(label: "store.migrations")) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
        precondition(
            Set(migrations.map(\.version)).count == migrations.count,
            "migrations must have distinct versions (Migrations.load rejects duplicates)"
        )
        self.logger = logger
    }

    public func status() async throws -> [MigrationStatus] {
        let applied = try await appliedMigrations()
        return migrations.map { migration in
            let record = applied[migration.version]
            return MigrationStatus(migration: migration, state: record.map { .applied(appliedAt: $0.appliedAt) } ?? .pending)
        }
    }

    public func pending() async throws -> [Migration] {
        let applied = try await appliedMigrations()
        return migrations.filter { applied[$0.version] == nil }
    }

    /// Throws if an applied migration's file changed or disappeared.
    public func verify() async throws {
        let applied = try await appliedMigrations()
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied.values.sorted(by: { $0.version < $1.version }) {
            guard let migration = byVersion[record.version] else {
                throw MigrationError.missingFile(version: record.version)
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
            }
        }
    }

    /// Verifies, then applies each pending migration in version order, each in
    /// its own transaction together with its schema_migrations row. Stops at the
    /// first failure, leaving that migration and all later ones unapplied.
    @discardableResult
    public func applyPending() async throws -> [Migration] {
        try await database.writeExclusively { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )
                """ + connection.dialect.tableOptions
            )
        }
        try await verify()
        var newlyApplied: [Migration] = []
        for migration in try await pending() {
            let clock = ContinuousClock()
            let start = clock.now
            let didApply = try await database.writeExclusively { connection in
                try Self.apply(migration, on: connection)
            }
            guard didApply else { continue }
            newlyApplied.append(migration)
            logger.info("Applied migration", metadata: [
                "version": "\(migration.version)",
                "name": "\(migration.name)",
                "duration": "\(clock.now - start)",
            ])
        }
        return newlyApplied
    }

    private static func apply(_ migration: Migration, on connection: any SQLConnection) throws -> Bool {
        // Another process may have applied it since `pending()` looked; the schema
        // lock held by this transaction makes the re-check final.
        let recorded = try connection.queryFirst("SELECT 1 FROM schema_migrations WHERE version = ?", [DatabaseValue(migration.version)])
        guard recorded == nil else { return false }
        do {
            try connection.executeScript(migration.sql)
            try connection.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [DatabaseValue(migration.version), .text(migration.name), .text(migration.checksum), .text(appliedAt(Date()))]
            )
        } catch let error as any StoreError {
            throw MigrationError.failed(fileName: migration.fileName, message: error.message, sql: error.sql)
        }
        return true
    }

    /// ISO 8601 UTC with milliseconds, e.g. 2025-01-31T12:00:00.000Z.
    private static func appliedAt(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private struct AppliedRecord: Sendable {
        let version: Int
        let checksum: String
        let appliedAt: String
    }

    private func appliedMigrations() async throws -> [Int: AppliedRecord] {
        try await database.read { connection in
            let table = try connection.queryFirst(connection.dialect.tableExistsQuery, ["schema_migrations"])
            guard table != nil else { return [:] }
            let records = try connection.query("SELECT version, checksum, applied_at FROM schema_migrations") { row in
                AppliedRecord(version: try row.int(0), checksum: try row.string(1), appliedAt: try row.string(2))
            }
            return Dictionary(uniqueKeysWithValues: records.map { ($0.version, $0) })
        }
    }
}
