import Foundation
import PostgresStore
import PostgresTesting
import Store
import Testing

/// What the app's stores rely on, held by both stores alike: each test runs once on SQLite and once on
/// PostgreSQL (a database of its own on the suite's server).
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct StoreContractTests {
    private struct Abort: Error {}

    private func withStore(_ dialect: SQLDialect, _ body: (any SQLDatabase) async throws -> Void) async throws {
        switch dialect {
        case .sqlite:
            try await withTemporaryDirectory { directory in
                let database = try Database(path: directory.file("store.sqlite"))
                defer { database.close() }
                try await body(database)
            }
        case .postgres:
            let server = try PostgresServer.required
            let name = "c_\(UUID().uuidString.prefix(8).lowercased())"
            let admin = try PostgresConnection(url: server.url())
            try admin.executeScript("CREATE DATABASE \(name)")
            admin.close()
            let database = try PostgresDatabase(url: server.url(database: name), poolSize: 2)
            defer { database.close() }
            try await body(database)
        }
    }

    /// Column types both read the same way: SQLite's affinities from the names, PostgreSQL's types.
    private func makeTable(_ database: any SQLDatabase) async throws {
        try await database.write { connection in
            try connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT, b BYTEA)")
        }
    }

    @Test(arguments: SQLDialect.allCases)
    func everyValueComesBackAsItWasBound(_ dialect: SQLDialect) async throws {
        try await withStore(dialect) { database in
            try await makeTable(database)
            let values: [DatabaseValue] = [.integer(Int64.min), .real(0.1), .text("it's ? \"quoted\" é"), .blob([0, 255, 7])]
            try await database.write { try $0.execute("INSERT INTO t (k, i, r, s, b) VALUES ('a', ?, ?, ?, ?)", values) }
            try await database.write { try $0.execute("INSERT INTO t (k, i, r, s, b) VALUES ('z', ?, ?, ?, ?)", [nil, nil, "", .blob([])]) }
            let rows = try await database.read { try $0.query("SELECT i, r, s, b FROM t ORDER BY k") }
            #expect(rows.map(\.values) == [values, [.null, .null, .text(""), .blob([])]])
        }
    }

    /// `?NNN` names a parameter, as SQLite reads it; a `?` in a literal is text.
    @Test(arguments: SQLDialect.allCases)
    func numberedAndQuotedPlaceholders(_ dialect: SQLDialect) async throws {
        try await withStore(dialect) { database in
            let row = try await database.read { connection in
                try connection.queryFirst("SELECT ?2 AS second, '?' AS mark, ?1 AS first, ?3 AS third", ["one", "two", "three"])
            }
            #expect(try row?.string("first") == "one" && row?.string("second") == "two" && row?.string("mark") == "?"
                && row?.string("third") == "three")
        }
    }

    @Test(arguments: SQLDialect.allCases)
    func aSavepointUndoesOnlyItsOwnWork(_ dialect: SQLDialect) async throws {
        try await withStore(dialect) { database in
            try await makeTable(database)
            try await database.write { connection in
                try connection.execute("INSERT INTO t (k) VALUES ('kept')", [])
                _ = try? connection.savepoint {
                    try connection.execute("INSERT INTO t (k) VALUES ('undone')", [])
                    throw Abort()
                }
            }
            await #expect(throws: Abort.self) {
                try await database.write { connection in
                    try connection.execute("INSERT INTO t (k) VALUES ('whole')", [])
                    throw Abort()
                }
            }
            #expect(try await database.read { try $0.query("SELECT k FROM t") { try $0.string(0) } } == ["kept"])
        }
    }

    /// A refused row is the caller's problem, not the store's unavailability (which would be a 503).
    @Test(arguments: SQLDialect.allCases)
    func aConstraintViolationIsNotUnavailability(_ dialect: SQLDialect) async throws {
        try await withStore(dialect) { database in
            try await makeTable(database)
            try await database.write { try $0.execute("INSERT INTO t (k) VALUES ('a')", []) }
            let error = await #expect(throws: (any Error).self) {
                try await database.write { try $0.execute("INSERT INTO t (k) VALUES ('a')", []) }
            }
            let storeError = try #require(error as? any StoreError)
            #expect(storeError.unavailability == nil)
        }
    }

    /// The bundled migrations of each store, applied, verified, and not applied twice.
    @Test(arguments: SQLDialect.allCases)
    func bundledMigrationsApplyOnce(_ dialect: SQLDialect) async throws {
        try await withStore(dialect) { database in
            let migrations = try Migrations.load(fromPath: Self.repositoryMigrations, for: dialect)
            let runner = MigrationRunner(database: database, migrations: migrations)
            #expect(try await runner.applyPending().map(\.version) == migrations.map(\.version))
            #expect(try await runner.applyPending().isEmpty)
            try await runner.verify()
            #expect(try await database.read { try $0.queryFirst("SELECT count(*) FROM tenants WHERE id = 'default'", [])?.int(0) } == 1)
        }
    }

    /// Processes starting together (here: runners on separate pools) apply each migration once.
    @Test func replicasStartingTogetherMigrateOnce() async throws {
        try await withStore(.postgres) { database in
            let migrations = try Migrations.load(fromPath: Self.repositoryMigrations, for: .postgres)
            let url = try #require(database as? PostgresDatabase).connectionString
            // Each migration takes the schema lock of its own, so the replicas may share the work out.
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let replica = try PostgresDatabase(connectionString: url, poolSize: 1)
                        defer { replica.close() }
                        return try await MigrationRunner(database: replica, migrations: migrations).applyPending().map(\.version)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == migrations.map(\.version))
        }
    }

    private static let repositoryMigrations = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Migrations").path
}
