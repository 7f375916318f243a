import Foundation
import PostgresStore
import Store
import PostgresTesting
import Testing

@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct PostgresConnectionTests {
    private func connect(statementTimeout: Duration = .seconds(5), statementCacheCapacity: Int = 64) throws -> PostgresConnection {
        try PostgresConnection(
            url: PostgresServer.required.url(),
            statementTimeout: statementTimeout,
            statementCacheCapacity: statementCacheCapacity
        )
    }

    @Test func connectsToPostgreSQL15() throws {
        let db = try connect()
        #expect(db.isConnected)
        #expect(try db.queryFirst("SELECT current_setting('server_version_num')::int / 10000 AS major")?.int("major") == 15)
    }

    /// `BEGIN` goes with the transaction's first statement: a transaction of one statement is two round trips, not
    /// three; one of none is none; and its statements see one snapshot and commit or roll back together, as before.
    @Test func beginGoesWithTheFirstStatement() throws {
        let db = try connect()
        try db.execute("CREATE TEMP TABLE t (id bigint PRIMARY KEY)")
        _ = try db.queryFirst("SELECT count(*) AS n FROM t WHERE id > $1", [0])
        var before = db.roundTrips
        let count = try db.transaction(.repeatableRead, readOnly: true) {
            try db.queryFirst("SELECT count(*) AS n FROM t WHERE id > $1", [0])?.int("n")
        }
        #expect(count == 0)
        #expect(db.roundTrips - before == 2)
        before = db.roundTrips
        try db.transaction(.serializable) {}
        #expect(db.roundTrips == before)
        try db.transaction(.serializable) {
            try db.execute("INSERT INTO t VALUES ($1)", [1])
            #expect(db.isInTransaction)
            try db.execute("INSERT INTO t VALUES ($1)", [2])
        }
        #expect(throws: PostgresError.self) {
            try db.transaction(.serializable) {
                try db.execute("INSERT INTO t VALUES ($1)", [3])
                try db.execute("INSERT INTO t VALUES ($1)", [1])
            }
        }
        #expect(try db.query("SELECT id FROM t ORDER BY id").map { try $0.int("id") } == [1, 2])
        // A first statement that fails ends the transaction it began; the connection serves the next one.
        #expect(throws: PostgresError.self) { try db.transaction(.serializable) { try db.execute("INSERT INTO t VALUES ($1)", [1]) } }
        #expect(throws: PostgresError.self) { try db.transaction(.serializable) { try db.execute("SELECT * FROM missing_table") } }
        let after = try db.transaction(.serializable) { try db.queryFirst("SELECT count(*) AS n FROM t")?.int("n") }
        #expect(after == 2)
        // Nested: the savepoint sends `BEGIN` first.
        try db.transaction(.serializable) {
            try db.transaction(.serializable) { try db.execute("INSERT INTO t VALUES ($1)", [4]) }
        }
        #expect(try db.queryFirst("SELECT count(*) AS n FROM t")?.int("n") == 3)
    }

    /// A connection found broken at a transaction's `BEGIN` is set up again outside that transaction: its rollback
    /// must not take the session's settings with it (the reconnect ran them inside it).
    @Test func aSessionReconnectedAtBeginKeepsItsSettings() throws {
        struct Undo: Error {}
        let db = try connect()
        let other = try connect()
        try other.execute("SELECT pg_terminate_backend($1::int, 5000)", [.integer(Int64(db.serverProcessID))])
        #expect(throws: Undo.self) {
            try db.transaction(.serializable) {
                try db.execute("SELECT 1")
                throw Undo()
            }
        }
        #expect(try db.queryFirst("SELECT current_setting('statement_timeout') AS t")?.string("t") == "5s")
        #expect(try db.queryFirst("SELECT current_setting('bytea_output') AS t")?.string("t") == "hex")
    }

    @Test func parametersOfEachTypeComeBackAsBound() throws {
        let db = try connect()
        let values: [DatabaseValue] = [.integer(.max), .integer(.min), .real(0.1), .real(-1e300), .text("héllo 'quoted' \\ ✓"), .text(""), .blob([0, 1, 0x7f, 0xff]), .blob([])]
        let row = try #require(try db.queryFirst("SELECT $1, $2, $3, $4, $5, $6, $7, $8", values))
        #expect(row.values == values)
    }

    @Test func columnTypesDecodeToTheSharedValues() throws {
        let db = try connect()
        try db.execute("""
            CREATE TEMP TABLE t (
                id bigint PRIMARY KEY, small int4, ratio double precision, name text,
                secret bytea, active boolean, amount numeric, seen timestamptz, key uuid
            )
            """)
        let inserted = try db.execute(
            "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [7, 42, 2.5, "alice", .blob([9, 8]), "true", "12.50", "2026-01-02T03:04:05Z", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]
        )
        #expect(inserted == 1)
        let row = try #require(try db.queryFirst("SELECT * FROM t WHERE id = $1", [7]))
        #expect(try row.int64("id") == 7)
        #expect(try row.int("small") == 42)
        #expect(try row.double("ratio") == 2.5)
        #expect(try row.string("NAME") == "alice")
        #expect(try row.blob("secret") == [9, 8])
        #expect(try row.bool("active") == true)
        #expect(try row.double("amount") == 12.5)
        #expect(try row.string("seen").hasPrefix("2026-01-02"))
        #expect(try row.string("key") == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        #expect(row.columnNames == ["id", "small", "ratio", "name", "secret", "active", "amount", "seen", "key"])
        // Aggregates read as SQLite returns them: a sum of integers is an integer.
        #expect(try db.queryFirst("SELECT sum(id), avg(small) FROM t")?.values == [.integer(7), .real(42)])
    }

    @Test func nullsBindAndReadAsNull() throws {
        let db = try connect()
        try db.execute("CREATE TEMP TABLE t (a bigint, b text, c bytea, d double precision)")
        try db.execute("INSERT INTO t VALUES ($1, $2, $3, $4)", [nil, nil, nil, nil])
        try db.execute("INSERT INTO t VALUES ($1, $2, $3, $4)", [1, "x", .blob([1]), 1.5])
        let rows = try db.query("SELECT a, b, c, d FROM t ORDER BY a NULLS FIRST")
        #expect(rows[0].values == [.null, .null, .null, .null])
        #expect(try rows[0].optionalInt("a") == nil && rows[0].optionalString("b") == nil)
        #expect(try rows[1].optionalInt("a") == 1 && rows[1].optionalBlob("c") == [1])
        #expect(try db.query("SELECT a FROM t WHERE b IS NOT DISTINCT FROM $1", [nil]).count == 1)
    }

    @Test func uniqueViolationIsTypedAndDoesNotQuoteTheValue() throws {
        let db = try connect()
        try db.execute("CREATE TEMP TABLE t (email text UNIQUE)")
        try db.execute("INSERT INTO t VALUES ($1)", ["alice@example.com"])
        let error = try #require(throws: PostgresError.self) {
            try db.execute("INSERT INTO t VALUES ($1)", ["alice@example.com"])
        }
        #expect(error.kind == .uniqueViolation)
        #expect(error.sqlState == "23505")
        #expect(!error.description.contains("alice"))
        // The connection is still usable after a statement error outside a transaction.
        #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 1)
    }

    @Test func dataErrorsDoNotQuoteTheInput() throws {
        let db = try connect()
        let error = try #require(throws: PostgresError.self) {
            try db.queryFirst("SELECT $1::int", ["patient-secret"])
        }
        #expect(error.sqlState == "22P02")
        #expect(!error.description.contains("patient-secret"))
    }

    @Test func transactionRollsBackOnThrowAndCommitsOnReturn() throws {
        struct Abort: Error {}
        let db = try connect()
        try db.execute("CREATE TEMP TABLE t (a bigint)")
        #expect(throws: Abort.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        try db.transaction {
            try db.execute("INSERT INTO t VALUES (2)")
            // A nested failure rolls back to its savepoint only.
            try? db.transaction {
                try db.execute("INSERT INTO t VALUES (3)")
                throw Abort()
            }
            #expect(db.isInTransaction)
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT a FROM t ORDER BY a") { try $0.int(0) } == [2])
    }

    @Test func aSwallowedErrorFailsTheCommitInsteadOfLosingTheWrites() throws {
        let db = try connect()
        try db.execute("CREATE TEMP TABLE t (a bigint UNIQUE)")
        let error = try #require(throws: PostgresError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                _ = try? db.execute("INSERT INTO t VALUES (1)")
            }
        }
        #expect(error.sqlState == "25P02")
        #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 0)
    }

    @Test func statementTimeoutIsAQueryCanceledError() throws {
        let db = try connect(statementTimeout: .milliseconds(100))
        let started = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) {
            try db.execute("SELECT pg_sleep(10)")
        }
        #expect(error.kind == .queryCanceled)
        #expect(error.sqlState == "57014")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try db.queryFirst("SELECT current_setting('statement_timeout')")?.string(0) == "100ms")
    }

    @Test func severalStatementsInOneExecuteAreRefused() throws {
        let db = try connect()
        let error = try #require(throws: PostgresError.self) {
            try db.execute("SELECT 1; SELECT 2")
        }
        #expect(error.kind == .misuse)
        try db.executeScript("CREATE TEMP TABLE t (a bigint); INSERT INTO t VALUES (1), (2);")
        #expect(try db.queryFirst("SELECT sum(a) FROM t")?.int(0) == 3)
    }

    @Test func preparedStatementsAreReusedAndBoundedOnTheServer() throws {
        let db = try connect(statementCacheCapacity: 2)
        for index in 0..<5 {
            #expect(try db.queryFirst("SELECT \(index) + $1", [1])?.int(0) == index + 1)
            #expect(try db.queryFirst("SELECT \(index) + $1", [2])?.int(0) == index + 2)
        }
        #expect(db.cachedStatementCount == 2)
        // Evicted statements are deallocated, not left in the server session.
        #expect(try db.queryFirst("SELECT count(*) FROM pg_prepared_statements")?.int(0) == 2)
    }

    @Test func aPreparedSelectStarFollowsATableChangedByAnotherSession() throws {
        let db = try connect()
        let migrator = try connect()
        let table = "t_\(UUID().uuidString.prefix(8).lowercased())"
        try db.execute("CREATE TABLE \(table) (a bigint)")
        defer { _ = try? db.execute("DROP TABLE \(table)") }
        try db.execute("INSERT INTO \(table) VALUES (1)")
        #expect(try db.queryFirst("SELECT * FROM \(table)")?.values == [.integer(1)])
        try migrator.execute("ALTER TABLE \(table) ADD COLUMN b text DEFAULT 'x'")
        // Outside a transaction the statement is prepared again, unseen by the caller.
        #expect(try db.queryFirst("SELECT * FROM \(table)")?.values == [.integer(1), .text("x")])

        try migrator.execute("ALTER TABLE \(table) ADD COLUMN c bigint DEFAULT 2")
        // Inside one the transaction is already aborted: the error surfaces once, the retry works.
        let error = try #require(throws: PostgresError.self) {
            try db.transaction { try db.queryFirst("SELECT * FROM \(table)") }
        }
        #expect(error.sqlState == "0A000")
        #expect(try db.transaction { try db.queryFirst("SELECT * FROM \(table)")?.values } == [.integer(1), .text("x"), .integer(2)])
    }

    @Test func closedConnectionThrows() throws {
        let db = try connect()
        db.close()
        let error = try #require(throws: PostgresError.self) { try db.execute("SELECT 1") }
        #expect(error.kind == .closed)
    }
}
