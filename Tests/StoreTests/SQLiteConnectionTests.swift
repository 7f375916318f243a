import Foundation
import Store
import Testing

@Suite struct SQLiteConnectionTests {
    private struct Abort: Error, Equatable {}

    private func withConnection<T>(_ body: (SQLiteConnection, URL) throws -> T) throws -> T {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory.file("test.sqlite"))
            defer { connection.close() }
            return try body(connection, directory)
        }
    }

    @Test func bindsAndReadsEveryType() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n ANY) STRICT")
            let blob: [UInt8] = [0, 0, 1, 0, 255, 0]
            try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(.max), .real(-0.5), .text("plain"), .blob(blob), .null])
            try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(.min), .real(.infinity), .text(""), .blob([]), .integer(1)])

            let rows = try db.query("SELECT i, r, s, b, n FROM t ORDER BY rowid")
            #expect(rows.map(\.values) == [
                [.integer(.max), .real(-0.5), .text("plain"), .blob(blob), .null],
                // Empty text and empty blobs must not come back as NULL.
                [.integer(.min), .real(.infinity), .text(""), .blob([]), .integer(1)],
            ])
            #expect(try db.queryFirst("SELECT typeof(s), typeof(b) FROM t WHERE i < 0")?.values == [.text("text"), .text("blob")])
        }
    }

    @Test func unicodeTextRoundTrips() throws {
        try withConnection { db, _ in
            let texts = ["héllo wörld", "你好，世界", "🧑🏽‍⚕️ emoji ZWJ", "e\u{301} combining", "embedded\u{0}nul", "עברית"]
            try db.execute("CREATE TABLE t (s TEXT NOT NULL) STRICT")
            for text in texts {
                try db.execute("INSERT INTO t VALUES (?)", [.text(text)])
            }
            #expect(try db.query("SELECT s FROM t ORDER BY rowid") { try $0.string(0) } == texts)
            #expect(try db.queryFirst("SELECT length(?)", [.text("你好")])?.int(0) == 2)
        }
    }

    @Test func executeReturnsChangedRowCount() throws {
        try withConnection { (db, _) throws in
            #expect(try db.execute("CREATE TABLE t (a INTEGER) STRICT") == 0)
            #expect(try db.execute("INSERT INTO t VALUES (1), (2), (3)") == 3)
            #expect(try db.execute("UPDATE t SET a = a + 1 WHERE a > ?", [1]) == 2)
            // DDL after DML reports 0, not the previous statement's count.
            #expect(try db.execute("CREATE INDEX t_a ON t (a)") == 0)
            #expect(try db.execute("DELETE FROM t WHERE a = 99") == 0)
        }
    }

    @Test func lastInsertRowID() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT")
            try db.execute("INSERT INTO t (id, a) VALUES (41, 'x')")
            try db.execute("INSERT INTO t (a) VALUES ('y')")
            #expect(db.lastInsertRowID == 42)
        }
    }

    @Test func executeScriptRunsEveryStatement() throws {
        try withConnection { db, _ in
            try db.executeScript(
                """
                -- leading comment
                CREATE TABLE a (x ANY) STRICT;;
                INSERT INTO a VALUES (1); INSERT INTO a VALUES ('2; not a separator');
                /* block comment */
                -- trailing comment
                """
            )
            #expect(try db.query("SELECT x FROM a ORDER BY rowid").map(\.values) == [[.integer(1)], [.text("2; not a separator")]])
        }
    }

    @Test func executeScriptStopsAtFailingStatementAndNamesIt() throws {
        try withConnection { (db, _) throws in
            let error = #expect(throws: SQLiteError.self) {
                try db.executeScript("CREATE TABLE a (x INTEGER) STRICT; INSERT INTO nope VALUES (1); CREATE TABLE b (y INTEGER)")
            }
            #expect(error?.sql == "INSERT INTO nope VALUES (1);")
            #expect(error?.message == "no such table: nope")
            #expect(try db.query("SELECT name FROM sqlite_schema WHERE name = 'b'").isEmpty)
        }
    }

    @Test func executeRejectsSeveralStatements() throws {
        try withConnection { (db, _) throws in
            #expect(throws: SQLiteError.self) { try db.execute("CREATE TABLE a (x); CREATE TABLE b (y)") }
            #expect(try db.query("SELECT name FROM sqlite_schema").isEmpty)
            // A trailing comment is not a second statement.
            #expect(try db.query("SELECT 1; -- why not").count == 1)
        }
    }

    @Test func wrongBindingCountIsAnError() throws {
        try withConnection { db, _ in
            let error = #expect(throws: SQLiteError.self) { try db.query("SELECT ?, ?", [1]) }
            #expect(error?.message == "the statement has 2 parameters but 1 values were bound")
        }
    }

    @Test func errorsCarrySQLButNeverBoundValues() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE patients (ssn TEXT UNIQUE) STRICT")
            let secret = "123-45-6789"
            try db.execute("INSERT INTO patients (ssn) VALUES (?)", [.text(secret)])
            let error = #expect(throws: SQLiteError.self) {
                try db.execute("INSERT INTO patients (ssn) VALUES (?)", [.text(secret)])
            }
            let unwrapped = try #require(error)
            #expect(unwrapped.isConstraintViolation)
            #expect(unwrapped.extendedCode == 2067) // SQLITE_CONSTRAINT_UNIQUE
            #expect(unwrapped.sql == "INSERT INTO patients (ssn) VALUES (?)")
            #expect(!unwrapped.description.contains(secret))
            #expect(!unwrapped.message.contains(secret))
        }
    }

    @Test func transactionCommits() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE t (a INTEGER) STRICT")
            let result = try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                #expect(db.isInTransaction)
                return "done"
            }
            #expect(result == "done")
            #expect(!db.isInTransaction)
            #expect(try db.query("SELECT a FROM t").count == 1)
        }
    }

    @Test func transactionRollsBackAndRethrowsOriginalError() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE t (a INTEGER) STRICT")
            #expect(throws: Abort()) {
                try db.transaction {
                    try db.execute("INSERT INTO t VALUES (1)")
                    throw Abort()
                }
            }
            #expect(!db.isInTransaction)
            #expect(try db.query("SELECT a FROM t").isEmpty)
        }
    }

    @Test func nestedTransactionRollsBackOnlyItsOwnWork() throws {
        try withConnection { db, _ in
            try db.execute("CREATE TABLE t (a INTEGER) STRICT")
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                #expect(throws: Abort()) {
                    try db.transaction {
                        try db.execute("INSERT INTO t VALUES (2)")
                        throw Abort()
                    }
                }
                #expect(db.isInTransaction)
                try db.transaction { try db.execute("INSERT INTO t VALUES (3)") }
            }
            #expect(try db.query("SELECT a FROM t ORDER BY a") { try $0.int(0) } == [1, 3])
        }
    }

    @Test func walAndForeignKeysAreOn() throws {
        try withConnection { db, _ in
            #expect(try db.queryFirst("PRAGMA journal_mode")?.string(0) == "wal")
            #expect(try db.queryFirst("PRAGMA foreign_keys")?.int(0) == 1)
            #expect(try db.queryFirst("PRAGMA synchronous")?.int(0) == 1) // NORMAL
            #expect(try db.queryFirst("PRAGMA busy_timeout")?.int(0) == 5000)

            try db.executeScript(
                """
                CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
                CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id)) STRICT;
                """
            )
            let error = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO child VALUES (1)") }
            #expect(error?.isConstraintViolation == true)
            #expect(error?.extendedCode == 787) // SQLITE_CONSTRAINT_FOREIGNKEY
        }
    }

    @Test func busyTimeoutIsConfigurable() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteConnection(path: directory.file("t.sqlite"), busyTimeout: .milliseconds(250))
            #expect(try db.queryFirst("PRAGMA busy_timeout")?.int(0) == 250)
        }
    }

    @Test func readOnlyConnectionCannotWrite() throws {
        try withConnection { db, directory in
            try db.execute("CREATE TABLE t (a INTEGER) STRICT")
            let reader = try SQLiteConnection(path: directory.file("test.sqlite"), mode: .readOnly)
            #expect(try reader.transaction(.deferred) { try reader.query("SELECT a FROM t").count } == 0)
            let error = #expect(throws: SQLiteError.self) { try reader.execute("INSERT INTO t VALUES (1)") }
            #expect(error?.code == 8) // SQLITE_READONLY
        }
    }

    @Test func openingMissingFileReadOnlyFails() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: SQLiteError.self) {
                _ = try SQLiteConnection(path: directory.file("absent.sqlite"), mode: .readOnly)
            }
            #expect(error?.code == 14) // SQLITE_CANTOPEN
            #expect(error?.message.contains("absent.sqlite") == true)
        }
    }

    @Test func closedConnectionThrows() throws {
        try withConnection { db, _ in
            db.close()
            #expect(!db.isOpen)
            let error = #expect(throws: SQLiteError.self) { try db.query("SELECT 1") }
            #expect(error?.message == "the database connection is closed")
        }
    }

    /// A cached statement keeps its columns' names between runs, and reads them again once SQLite has
    /// prepared it anew after a schema change (here by another connection, so this one is not told).
    @Test func aCachedStatementSeesColumnsAddedByAnotherConnection() throws {
        try withConnection { db, directory in
            try db.execute("CREATE TABLE t (a TEXT)")
            try db.execute("INSERT INTO t VALUES ('x')")
            #expect(try db.queryFirst("SELECT * FROM t")?.string("a") == "x")
            let other = try SQLiteConnection(path: directory.file("test.sqlite"))
            defer { other.close() }
            try other.execute("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'y'")
            let row = try db.queryFirst("SELECT * FROM t")
            #expect(row?.values == [.text("x"), .text("y")])
            #expect(try row?.string("b") == "y")
            #expect(try row?.string("A") == "x")
        }
    }

    @Test func mappingClosureMayUseTheConnection() throws {
        try withConnection { db, _ in
            try db.executeScript("CREATE TABLE t (a INTEGER) STRICT; INSERT INTO t VALUES (1), (2);")
            let doubled = try db.query("SELECT a FROM t ORDER BY a") { row in
                try db.queryFirst("SELECT ? * 2", [.integer(try row.int64(0))])?.int(0)
            }
            #expect(doubled == [2, 4])
        }
    }

    /// `migrate --copy-to` streams whole tables: every row, in order, and a throw stops the statement
    /// (the next query on the connection still runs).
    @Test func forEachRowHandsOverEveryRowAndStopsAtAThrow() throws {
        try withConnection { db, _ in
            try db.executeScript("CREATE TABLE t (a INTEGER) STRICT; INSERT INTO t VALUES (1), (2), (3);")
            var seen: [Int] = []
            try db.forEachRow("SELECT a FROM t WHERE a > ? ORDER BY a", [0]) { seen.append(try $0.int("a")) }
            #expect(seen == [1, 2, 3])
            #expect(throws: Abort()) {
                try db.forEachRow("SELECT a FROM t ORDER BY a") { row in
                    if try row.int(0) == 2 { throw Abort() }
                }
            }
            #expect(try db.query("SELECT a FROM t ORDER BY a") { try $0.int(0) } == [1, 2, 3])
        }
    }
}
