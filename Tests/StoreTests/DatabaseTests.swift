import Dispatch
import Foundation
import Store
import Testing

@Suite struct DatabaseTests {
    private struct Abort: Error, Equatable {}

    private func withDatabase<T>(readerCount: Int = 2, _ body: (Database, String) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            let path = directory.file("app.sqlite")
            let database = try Database(path: path, readerCount: readerCount)
            defer { database.close() }
            return try await body(database, path)
        }
    }

    @Test func writeThenRead() async throws {
        try await withDatabase { db, _ in
            let id = try await db.write { connection in
                try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT")
                try connection.execute("INSERT INTO t (name) VALUES (?)", ["alice"])
                return connection.lastInsertRowID
            }
            let name = try await db.read { try $0.queryFirst("SELECT name FROM t WHERE id = ?", [.integer(id)])?.string(0) }
            #expect(name == "alice")
        }
    }

    @Test func writeIsATransaction() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (a INTEGER) STRICT") }
            await #expect(throws: Abort()) {
                try await db.write { connection in
                    try connection.execute("INSERT INTO t VALUES (1)")
                    throw Abort()
                }
            }
            #expect(try await db.read { try $0.query("SELECT a FROM t").count } == 0)
        }
    }

    @Test func readersCannotWrite() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (a INTEGER) STRICT") }
            let error = await #expect(throws: SQLiteError.self) {
                try await db.read { try $0.execute("INSERT INTO t VALUES (1)") }
            }
            #expect(error?.code == 8) // SQLITE_READONLY
        }
    }

    @Test func readersSeeOnlyCommittedData() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (a INTEGER) STRICT") }
            let inserted = DispatchSemaphore(value: 0)
            let mayCommit = DispatchSemaphore(value: 0)
            async let writing: Void = db.write { connection in
                try connection.execute("INSERT INTO t VALUES (1)")
                inserted.signal()
                mayCommit.wait()
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    inserted.wait()
                    continuation.resume()
                }
            }
            #expect(try await db.read { try $0.query("SELECT a FROM t").count } == 0)
            mayCommit.signal()
            try await writing
            #expect(try await db.read { try $0.query("SELECT a FROM t").count } == 1)
        }
    }

    @Test func concurrentWritesAndReadsAllSucceed() async throws {
        try await withDatabase(readerCount: 3) { db, _ in
            try await db.write { connection in
                try connection.executeScript(
                    """
                    CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL) STRICT;
                    INSERT INTO counter (id, value) VALUES (1, 0);
                    CREATE TABLE events (task INTEGER NOT NULL UNIQUE) STRICT;
                    """
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<200 {
                    group.addTask {
                        try await db.write { connection in
                            try connection.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
                            try connection.execute("INSERT INTO events (task) VALUES (?)", [DatabaseValue(task)])
                        }
                    }
                    if task.isMultiple(of: 2) {
                        group.addTask {
                            let (value, events) = try await db.read { connection in
                                (
                                    try connection.queryFirst("SELECT value FROM counter")?.int(0),
                                    try connection.queryFirst("SELECT count(*) FROM events")?.int(0)
                                )
                            }
                            // Both queries ran in one read snapshot, so they agree.
                            #expect(value == events)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let (value, events) = try await db.read { connection in
                (try connection.queryFirst("SELECT value FROM counter")?.int(0), try connection.queryFirst("SELECT count(DISTINCT task) FROM events")?.int(0))
            }
            #expect(value == 200)
            #expect(events == 200)
        }
    }

    /// Two `Database`s on one file behave like two processes: their writers
    /// contend for SQLite's file lock. Each write holds it briefly so they overlap.
    private func contendingWrites(busyTimeout: Duration) async throws -> (busyErrors: Int, finalValue: Int?) {
        try await withTemporaryDirectory { directory in
            let path = directory.file("shared.sqlite")
            let first = try Database(path: path, readerCount: 1, busyTimeout: busyTimeout)
            let second = try Database(path: path, readerCount: 1, busyTimeout: busyTimeout)
            defer {
                first.close()
                second.close()
            }
            try await first.write { connection in
                try connection.executeScript(
                    """
                    CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL) STRICT;
                    INSERT INTO counter (id, value) VALUES (1, 0);
                    """
                )
            }
            let busyErrors = try await withThrowingTaskGroup(of: Bool.self) { group in
                for task in 0..<200 {
                    let db = task.isMultiple(of: 2) ? first : second
                    group.addTask {
                        do {
                            try await db.write { connection in
                                try connection.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
                                Thread.sleep(forTimeInterval: 0.0002)
                            }
                            _ = try await db.read { try $0.queryFirst("SELECT value FROM counter")?.int(0) }
                            return false
                        } catch let error as SQLiteError where error.isBusy {
                            return true
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            let finalValue = try await second.read { try $0.queryFirst("SELECT value FROM counter")?.int(0) }
            return (busyErrors, finalValue)
        }
    }

    @Test func twoDatabasesOnOneFileNeverSurfaceBusy() async throws {
        let (busyErrors, finalValue) = try await contendingWrites(busyTimeout: SQLiteConnection.defaultBusyTimeout)
        #expect(busyErrors == 0)
        #expect(finalValue == 200)
    }

    /// Shows the test above really contends: without a busy timeout, SQLITE_BUSY surfaces.
    @Test func withoutBusyTimeoutContentionSurfacesAsBusy() async throws {
        let (busyErrors, _) = try await contendingWrites(busyTimeout: .zero)
        #expect(busyErrors > 0)
    }

    @Test func nestedTransactionInsideWrite() async throws {
        try await withDatabase { db, _ in
            try await db.write { connection in
                try connection.execute("CREATE TABLE t (a INTEGER) STRICT")
                try connection.execute("INSERT INTO t VALUES (1)")
                _ = try? connection.transaction {
                    try connection.execute("INSERT INTO t VALUES (2)")
                    throw Abort()
                }
            }
            #expect(try await db.read { try $0.query("SELECT a FROM t") { try $0.int(0) } } == [1])
        }
    }

    @Test func closedDatabaseThrows() async throws {
        try await withDatabase { db, _ in
            db.close()
            await #expect(throws: SQLiteError.self) { try await db.read { _ in 1 } }
            await #expect(throws: SQLiteError.self) { try await db.write { _ in 1 } }
        }
    }

    @Test func readsBeyondPoolSizeWaitForAFreeReader() async throws {
        try await withDatabase(readerCount: 1) { db, _ in
            let values = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask { try await db.read { try $0.queryFirst("SELECT ?", [DatabaseValue(index)])?.int(0) ?? -1 } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(values.sorted() == Array(0..<20))
        }
    }

    /// A brief read runs on the caller's thread, and is still a read: one committed snapshot, read-only,
    /// one at a time with the queued reads on the same reader.
    @Test func briefReadsAreReadsOnTheCallersThread() async throws {
        try await withDatabase(readerCount: 1) { db, _ in
            try await db.write { connection in
                try connection.execute("CREATE TABLE t (a INTEGER) STRICT")
                try connection.execute("INSERT INTO t VALUES (7)")
            }
            #expect(try await db.briefReadFirst(SQLStatement("SELECT a FROM t"))?.int(0) == 7)
            let error = await #expect(throws: SQLiteError.self) {
                try await db.briefRead([SQLStatement("INSERT INTO t VALUES (8)")])
            }
            #expect(error?.code == 8) // SQLITE_READONLY
            let values = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let select = SQLStatement("SELECT a + ? FROM t", [DatabaseValue(index)])
                        if index.isMultiple(of: 2) { return try await db.briefReadFirst(select)?.int(0) ?? -1 }
                        return try await db.read { try $0.queryFirst(select)?.int(0) ?? -1 }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(values.sorted() == Array(7..<27))
        }
    }
}
