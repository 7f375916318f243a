import Store
import Testing

@Suite struct StatementCacheTests {
    @Test func sameSQLReusesOneStatementWithFreshBindings() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER, b TEXT) STRICT")
        let baseline = db.cachedStatementCount
        for index in 0..<100 {
            try db.execute("INSERT INTO t (a, b) VALUES (?, ?)", [DatabaseValue(index), index.isMultiple(of: 2) ? .text("even") : .null])
        }
        #expect(db.cachedStatementCount == baseline + 1)
        #expect(try db.queryFirst("SELECT count(*), sum(a), count(b) FROM t")?.values == [.integer(100), .integer(4950), .integer(50)])
    }

    @Test func cacheIsBounded() throws {
        let db = try SQLiteConnection(path: ":memory:", statementCacheCapacity: 4)
        for index in 0..<20 {
            #expect(try db.queryFirst("SELECT \(index)")?.int(0) == index)
        }
        #expect(db.cachedStatementCount == 4)
    }

    @Test func zeroCapacityDisablesCaching() throws {
        let db = try SQLiteConnection(path: ":memory:", statementCacheCapacity: 0)
        for _ in 0..<3 {
            #expect(try db.queryFirst("SELECT 1")?.int(0) == 1)
        }
        #expect(db.cachedStatementCount == 0)
    }

    @Test func queryFirstLeavesTheStatementReusable() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.executeScript("CREATE TABLE t (a INTEGER) STRICT; INSERT INTO t VALUES (1), (2), (3);")
        #expect(try db.queryFirst("SELECT a FROM t ORDER BY a")?.int(0) == 1)
        #expect(try db.query("SELECT a FROM t ORDER BY a") { try $0.int(0) } == [1, 2, 3])
    }

    @Test func cachedStatementSeesSchemaChanges() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER) STRICT")
        #expect(try db.queryFirst("SELECT * FROM t LIMIT 0") == nil)
        #expect(try db.query("SELECT * FROM t").isEmpty)
        try db.execute("ALTER TABLE t ADD COLUMN b TEXT")
        try db.execute("INSERT INTO t VALUES (1, 'x')")
        #expect(try db.queryFirst("SELECT * FROM t")?.columnNames == ["a", "b"])
    }
}
