import Foundation
import PostgresStore
import PostgresTesting
import Store
import Testing

/// The copy itself, on small schemas of the tests' own written in each store's words: what converts,
/// what is refused (and that a refusal leaves the target as it was), and which order and sequences.
/// The app's own schema and data are copied in AppTests' CopyToPostgresTests.
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct SQLiteToPostgresCopyTests {
    /// What each store's migrations record; the scratch schemas below stand for version 1.
    static let migrations = """
        CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL);
        INSERT INTO schema_migrations VALUES (1, 'scratch', '', '');

        """

    static let kindsInSQLite = """
        CREATE TABLE kinds (
            id INTEGER PRIMARY KEY, small INTEGER, flag INTEGER, ratio REAL, amount INTEGER,
            sealed BLOB, note TEXT, seen TEXT, doc TEXT, code TEXT
        ) STRICT;
        """

    static let kindsInPostgres = """
        CREATE TABLE kinds (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, small integer, flag boolean, ratio double precision,
            amount numeric, sealed bytea, note text, seen timestamptz, doc jsonb, code varchar(8)
        );
        """

    /// A SQLite file and a PostgreSQL database of their own, each made by its script (after the
    /// migrations record, in the same transaction, as a migration writes); `body` gets the target's URL.
    private func withStores(
        sqlite: String, postgres: String, _ body: (Database, String) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let source = try Database(path: directory.file("source.sqlite"))
            defer { source.close() }
            try await source.write { try $0.executeScript(Self.migrations + sqlite) }
            let server = try PostgresServer.required
            let name = "copy_\(UUID().uuidString.prefix(8).lowercased())"
            let admin = try PostgresConnection(url: server.url())
            try admin.executeScript("CREATE DATABASE \(name)")
            admin.close()
            let url = server.url(database: name)
            let target = try PostgresConnection(url: url)
            defer { target.close() }
            try target.transaction { try target.executeScript(Self.migrations + postgres) }
            try await body(source, url)
        }
    }

    private func copy(_ source: Database, to url: String, seeds: [String: String] = SQLiteToPostgresCopy.migrationSeeds) async throws -> [CopiedTable] {
        try await source.read { sqlite in
            let target = try PostgresConnection(url: url, statementCacheCapacity: 0)
            defer { target.close() }
            return try SQLiteToPostgresCopy(source: sqlite, target: target, seeds: seeds).run()
        }
    }

    private func rows(_ sql: String, at url: String) throws -> [[DatabaseValue]] {
        let connection = try PostgresConnection(url: url)
        defer { connection.close() }
        return try connection.query(sql).map(\.values)
    }

    @Test func eachColumnTypeConvertsAndTheIdentityContinuesPastTheCopiedIDs() async throws {
        let sqlite = Self.kindsInSQLite + """
            INSERT INTO kinds VALUES
                (1, 7, 1, 0.1, 12, x'00ff10', 'héllo ''q'' ✓', '2024-05-02T10:00:00.000Z', '{"a": [1, 2]}', 'abc'),
                (5, NULL, 0, NULL, NULL, x'', '', NULL, NULL, NULL);
            """
        try await withStores(sqlite: sqlite, postgres: Self.kindsInPostgres) { source, url in
            let copied = try await copy(source, to: url)
            #expect(copied == [CopiedTable(name: "kinds", sourceRows: 2, targetRows: 2, nextValues: ["id": 6])])
            let read = try rows("""
                SELECT id, small, flag, ratio, amount, sealed, note, seen = '2024-05-02T10:00:00Z'::timestamptz, doc->'a'->>1, code
                FROM kinds ORDER BY id
                """, at: url)
            let expected: [[DatabaseValue]] = [
                [1, 7, 1, 0.1, 12, .blob([0, 0xff, 0x10]), "héllo 'q' ✓", 1, "2", "abc"],
                [5, nil, 0, nil, nil, .blob([]), "", nil, nil, nil],
            ]
            #expect(read == expected)
            // The app's next row gets the next id, not one the copy already used.
            #expect(try rows("INSERT INTO kinds (flag) VALUES (true) RETURNING id", at: url) == [[6]])
        }
    }

    /// webhook_events keeps its receive order in SQLite's implicit rowid; the PostgreSQL twin declares it.
    @Test func sqlitesImplicitRowIDFillsADeclaredRowIDColumn() async throws {
        let sqlite = """
            CREATE TABLE inbox (event_id TEXT PRIMARY KEY, body BLOB NOT NULL) STRICT;
            INSERT INTO inbox VALUES ('ev-b', x'01'), ('ev-a', x'02');
            DELETE FROM inbox WHERE event_id = 'ev-b';
            INSERT INTO inbox VALUES ('ev-c', x'03');
            """
        let postgres = "CREATE TABLE inbox (rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE, event_id text PRIMARY KEY, body bytea NOT NULL);"
        try await withStores(sqlite: sqlite, postgres: postgres) { source, url in
            let copied = try await copy(source, to: url)
            #expect(copied.first?.nextValues == ["rowid": 4])
            #expect(try rows("SELECT rowid, event_id FROM inbox ORDER BY rowid", at: url) == [[2, "ev-a"], [3, "ev-c"]])
        }
    }

    /// Tables are listed by name, and a child may sort before its parent: the foreign keys set the order.
    @Test func parentsAreCopiedBeforeTheirChildren() async throws {
        let sqlite = """
            CREATE TABLE z_parent (id TEXT PRIMARY KEY) STRICT;
            CREATE TABLE a_child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES z_parent (id)) STRICT;
            CREATE TABLE m_grandchild (child_id TEXT NOT NULL REFERENCES a_child (id)) STRICT;
            INSERT INTO z_parent VALUES ('p');
            INSERT INTO a_child VALUES ('c', 'p');
            INSERT INTO m_grandchild VALUES ('c');
            """
        let postgres = """
            CREATE TABLE z_parent (id text PRIMARY KEY);
            CREATE TABLE a_child (id text PRIMARY KEY, parent_id text NOT NULL REFERENCES z_parent (id));
            CREATE TABLE m_grandchild (child_id text NOT NULL REFERENCES a_child (id));
            """
        try await withStores(sqlite: sqlite, postgres: postgres) { source, url in
            let order = try await copy(source, to: url).map(\.name)
            #expect(order == ["z_parent", "a_child", "m_grandchild"])
        }
    }

    /// A value its column cannot hold stops the copy, named by row, column and kind, never shown.
    @Test func aValueThatDoesNotFitIsRefusedWithoutShowingItAndNothingIsCopied() async throws {
        let cases: [(column: String, sqliteType: String, value: String, held: String, postgresType: String)] = [
            ("n", "TEXT", "'secret-token-1'", "TEXT", "bigint"),
            ("flag", "INTEGER", "2", "INTEGER other than 0 or 1", "boolean"),
            ("note", "TEXT", "'secret' || char(0) || 'tail'", "TEXT with a NUL character", "text"),
            ("sealed", "TEXT", "'secret-token-2'", "TEXT", "bytea"),
        ]
        for (column, sqliteType, value, held, postgresType) in cases {
            let sqlite = """
                CREATE TABLE t (id INTEGER PRIMARY KEY, \(column) \(sqliteType)) STRICT;
                INSERT INTO t VALUES (1, NULL), (2, \(value));
                """
            // The target's row written with its schema, as a migration seeds one: the rollback keeps it.
            let postgres = "CREATE TABLE t (id bigint PRIMARY KEY, \(column) \(postgresType)); INSERT INTO t (id) VALUES (9);"
            try await withStores(sqlite: sqlite, postgres: postgres) { source, url in
                let error = await #expect(throws: CopyError.self) { try await copy(source, to: url, seeds: ["t": "id = 9"]) }
                #expect(error == .valueDoesNotFit(table: "t", column: column, row: 2, held: held, columnType: postgresType))
                #expect(!"\(String(describing: error))".contains("secret"))
                let left = try rows("SELECT id FROM t", at: url)
                #expect(left == [[9]], "rolled back: the seeded row is there, no copied one")
            }
        }
    }

    @Test func aTableOrColumnOnOneSideOnlyIsRefused() async throws {
        let both = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT) STRICT;\n"
        try await withStores(sqlite: both + "CREATE TABLE notes (body TEXT) STRICT;", postgres: "CREATE TABLE t (id bigint PRIMARY KEY, name text); CREATE TABLE extra (id bigint);") { source, url in
            let error = await #expect(throws: CopyError.self) { try await copy(source, to: url) }
            #expect(error == .tablesDiffer(onlyInSource: ["notes"], onlyInTarget: ["extra"]))
        }
        try await withStores(sqlite: both, postgres: "CREATE TABLE t (id bigint PRIMARY KEY, label text);") { source, url in
            let error = await #expect(throws: CopyError.self) { try await copy(source, to: url) }
            #expect(error == .columnsDiffer(table: "t", onlyInSource: ["name"], onlyInTarget: ["label"]))
        }
    }

    /// What the target's migrations wrote is replaced by the source's rows; anything written later is
    /// data, and the copy refuses to touch it.
    @Test func onlyRowsTheMigrationsWroteMayBeReplaced() async throws {
        let sqlite = """
            CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT;
            INSERT INTO tenants VALUES ('default', 'Renamed practice'), ('north', 'North');
            """
        let postgres = "CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL); INSERT INTO tenants VALUES ('default', 'Default practice');"
        try await withStores(sqlite: sqlite, postgres: postgres) { source, url in
            let target = try PostgresConnection(url: url)
            defer { target.close() }
            #expect(try SQLiteToPostgresCopy.rowsHeld(by: target).isEmpty)
            #expect(try await copy(source, to: url).map(\.targetRows) == [2])
            #expect(try rows("SELECT id, name FROM tenants ORDER BY id", at: url) == [["default", "Renamed practice"], ["north", "North"]])

            #expect(try SQLiteToPostgresCopy.rowsHeld(by: target) == ["tenants": 2])
            let error = await #expect(throws: CopyError.self) { try await copy(source, to: url) }
            #expect(error == .targetHoldsData(["tenants": 2]))
            #expect("\(String(describing: error))".contains("tenants: 2 row(s)"))
        }
    }

    /// A backup restored in one transaction (`psql --single-transaction`, `pg_restore -1`) shares the
    /// migrations record's `xmin` in every row: still data, never truncated.
    @Test func aDatabaseRestoredInOneTransactionHoldsData() async throws {
        let sqlite = """
            CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT;
            CREATE TABLE audit (id INTEGER PRIMARY KEY, action TEXT NOT NULL) STRICT;
            INSERT INTO tenants VALUES ('default', 'Default practice');
            """
        let postgres = """
            CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL);
            CREATE TABLE audit (id bigint PRIMARY KEY, action text NOT NULL);
            INSERT INTO tenants VALUES ('default', 'Default practice'), ('north', 'North');
            INSERT INTO audit VALUES (1, 'click'), (2, 'click');
            """
        try await withStores(sqlite: sqlite, postgres: postgres) { source, url in
            let error = await #expect(throws: CopyError.self) { try await copy(source, to: url) }
            #expect(error == .targetHoldsData(["tenants": 1, "audit": 2]))
            let left = try rows("SELECT count(*) FROM audit", at: url)
            #expect(left == [[2]], "nothing truncated")
        }
    }

    @Test func storesAtDifferentVersionsAreRefused() async throws {
        try await withStores(sqlite: "INSERT INTO schema_migrations VALUES (2, 'later', '', '');", postgres: "") { source, url in
            let error = await #expect(throws: CopyError.self) { try await copy(source, to: url) }
            #expect(error == .versionsDiffer(source: 2, target: 1))
        }
    }
}
