import Dispatch
import Foundation
@testable import Store
import Synchronization
import Testing

/// `GroupCommit`: writes that queue while one runs share the next transaction, each in a savepoint, and each
/// caller still gets its own result once its batch is committed.
@Suite struct GroupCommitTests {
    private struct Refused: Error, Equatable {}

    /// Holds the writer in a first write until `count` more writes wait, so that those run as one batch.
    private func batch<T: Sendable>(
        of count: Int, in database: Database, _ body: @escaping @Sendable (Int, SQLiteConnection) throws -> T
    ) async -> [Result<T, any Error>] {
        let (holding, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let holder = Task { try await database.write { _ in holding.signal(); release.wait() } }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { holding.wait(); continuation.resume() }
        }
        return await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for index in 0..<count {
                group.addTask {
                    do { return (index, .success(try await database.write { try body(index, $0) })) } catch { return (index, .failure(error)) }
                }
            }
            while database.groupCommit.waitingCount < count { await Task.yield() }
            release.signal()
            _ = try? await holder.value
            var results = [Result<T, any Error>?](repeating: nil, count: count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private func withDatabase(_ body: (Database) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let database = try Database(path: directory.file("app.sqlite"))
            defer { database.close() }
            try await database.write { try $0.execute("CREATE TABLE t (writer INTEGER NOT NULL, total INTEGER NOT NULL) STRICT") }
            try await body(database)
        }
    }

    private func writers(_ database: Database) async throws -> [Int64] {
        try await database.read { try $0.query("SELECT writer FROM t ORDER BY writer").map { try $0.int64("writer") } }
    }

    @Test func aWriteThatThrowsTakesBackOnlyItsOwnChanges() async throws {
        try await withDatabase { database in
            let results = await batch(of: 5, in: database) { index, connection in
                try connection.execute("INSERT INTO t VALUES (?, 0)", [.integer(Int64(index))])
                if index == 2 { throw Refused() }
                return index
            }
            #expect(results.compactMap { try? $0.get() }.sorted() == [0, 1, 3, 4])
            #expect(throws: Refused()) { try results[2].get() }
            let rows = try await writers(database)
            #expect(rows == [0, 1, 3, 4])
        }
    }

    @Test func eachWriteSeesTheOnesBeforeIt() async throws {
        try await withDatabase { database in
            let results = await batch(of: 20, in: database) { index, connection in
                let total = try connection.queryFirst("SELECT count(*) AS n FROM t")?.int64("n") ?? 0
                try connection.execute("INSERT INTO t VALUES (?, ?)", [.integer(Int64(index)), .integer(total + 1)])
                return total + 1
            }
            #expect(results.compactMap { try? $0.get() }.sorted() == Array(1...20))
        }
    }

    /// A failure that ends the shared transaction (SQLite rolls back the whole of it after a full disk, say) fails that
    /// write alone: the others of its batch, before and after it, run again in the next.
    @Test func aWriteThatEndsTheTransactionFailsAloneAndTheOthersRunAgain() async throws {
        try await withDatabase { database in
            let results = await batch(of: 4, in: database) { index, connection in
                try connection.execute("INSERT INTO t VALUES (?, 0)", [.integer(Int64(index))])
                if index == 1 {
                    try connection.execute("ROLLBACK")
                    throw Refused()
                }
                return index
            }
            #expect(throws: Refused()) { try results[1].get() }
            #expect(results.map { try? $0.get() } == [0, nil, 2, 3])
            let rows = try await writers(database)
            #expect(rows == [0, 2, 3], "each caller told it landed finds its row, once")
        }
    }

    /// Notifications are heard once, after their write commits: never again with a later write that fails to begin.
    @Test func aWriteThatCannotBeginRepeatsNoEarlierNotification() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("app.sqlite")
            let database = try Database(path: path, busyTimeout: .milliseconds(20))
            defer { database.close() }
            let heard = Mutex(0)
            database.listen(to: "c") { _ in heard.withLock { $0 += 1 } }
            try await database.write { try $0.notify("c", payload: "1") }
            #expect(heard.withLock { $0 } == 1)
            let holder = try SQLiteConnection(path: path)
            try holder.execute("BEGIN IMMEDIATE")
            await #expect(throws: SQLiteError.self) { try await database.write { _ in } }
            try holder.execute("ROLLBACK")
            #expect(heard.withLock { $0 } == 1)
        }
    }

    @Test func writesWaitingWhenTheStoreClosesFail() async throws {
        try await withTemporaryDirectory { directory in
            let database = try Database(path: directory.file("app.sqlite"))
            let (holding, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
            let holder = Task { try await database.write { _ in holding.signal(); release.wait() } }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { holding.wait(); continuation.resume() }
            }
            let waiting = Task { try await database.write { _ in 1 } }
            while database.groupCommit.waitingCount < 1 { await Task.yield() }
            database.groupCommit.close()
            await #expect(throws: SQLiteError.self) { try await waiting.value }
            await #expect(throws: SQLiteError.self) { try await database.write { _ in 1 } }
            release.signal()
            try await holder.value
            database.close()
        }
    }

    /// A brief write runs on its caller's thread only when the writer is idle: behind a running write, it waits its
    /// turn in the queue. Had it gone for the writer's connection on its own thread, it would wait there, and the
    /// queue would never show it (the time limit ends the test).
    @Test(.timeLimit(.minutes(1))) func aBriefWriteQueuesBehindARunningWrite() async throws {
        try await withDatabase { database in
            let (holding, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
            let holder = Task {
                try await database.write { connection in
                    holding.signal()
                    release.wait()
                    try connection.execute("INSERT INTO t VALUES (0, 0)")
                }
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { holding.wait(); continuation.resume() }
            }
            let brief = Task { try await database.briefExecute(SQLStatement("INSERT INTO t VALUES (1, 0)")) }
            while database.groupCommit.waitingCount < 1 {
                try Task.checkCancellation()
                await Task.yield()
            }
            release.signal()
            try await holder.value
            _ = try await brief.value
            #expect(try await writers(database) == [0, 1])
        }
    }

    /// Another process's write lock is not waited for on the caller's thread: the write goes to the writer's thread,
    /// which waits for it (with the busy timeout) and commits once it is free.
    @Test(.timeLimit(.minutes(1))) func aBriefWriteLeavesAnotherProcessesLockToTheWriter() async throws {
        try await withDatabase { database in
            let holder = try SQLiteConnection(path: database.location)
            defer { holder.close() }
            try holder.execute("BEGIN IMMEDIATE")
            let brief = Task { try await database.briefExecute(SQLStatement("INSERT INTO t VALUES (1, 0)")) }
            while database.groupCommit.handOffs < 1 {
                try Task.checkCancellation()
                await Task.yield()
            }
            try holder.execute("COMMIT")
            _ = try await brief.value
            #expect(try await writers(database) == [1])
        }
    }

    /// `immediateIfFree` refuses at once, without running the body, and leaves the busy timeout as it was.
    @Test func aTransactionThatMustNotWaitIsRefusedWhenTheLockIsHeld() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("app.sqlite")
            let writer = try SQLiteConnection(path: path)
            let holder = try SQLiteConnection(path: path)
            defer { writer.close(); holder.close() }
            try holder.execute("BEGIN IMMEDIATE")
            var ran = false
            #expect(throws: SQLiteError.writeLockHeld) { try writer.transaction(.immediateIfFree) { ran = true } }
            #expect(!ran)
            #expect(!writer.isInTransaction)
            #expect(try writer.queryFirst("PRAGMA busy_timeout")?.values == [.integer(5000)])
            try holder.execute("COMMIT")
            try writer.transaction(.immediateIfFree) { ran = true }
            #expect(ran)
        }
    }

    /// After `deferCheckpoints` SQLite no longer checkpoints in the commit that fills the WAL: the connection says a
    /// checkpoint is due, and `checkpoint` does it. Without the hook SQLite checkpoints by itself and none is ever due.
    @Test func deferredCheckpointsAreDueOnceTheWALFills() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("app.sqlite")
            let connection = try SQLiteConnection(path: path)
            defer { connection.close() }
            try connection.deferCheckpoints()
            try connection.execute("CREATE TABLE pages (body BLOB NOT NULL) STRICT")
            let page = DatabaseValue.blob([UInt8](repeating: 7, count: 3000))
            var commits = 0
            while !connection.isCheckpointDue, commits < 2_000 {
                try connection.execute("INSERT INTO pages VALUES (?)", [page])
                commits += 1
            }
            #expect(connection.isCheckpointDue)
            let wal = { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
            #expect(wal() > 4_000_000)
            connection.checkpoint()
            #expect(!connection.isCheckpointDue)
            // The next commit starts the WAL over: every frame is in the database file now.
            try connection.execute("INSERT INTO pages VALUES (?)", [page])
            #expect(!connection.isCheckpointDue)
        }
    }

    /// Brief writes leave checkpoints to the writer's thread, which still makes them: the WAL stops growing at about
    /// 1,000 pages (4 MiB) as before, where 2,500 writes without a checkpoint leave over 10 MiB.
    @Test func briefWritesStillCheckpoint() async throws {
        try await withDatabase { database in
            for index in 0..<2_500 {
                try await database.briefExecute(SQLStatement("INSERT INTO t VALUES (?, 0)", [.integer(Int64(index))]))
            }
            try await database.write { _ in }
            let wal = try FileManager.default.attributesOfItem(atPath: database.location + "-wal")[.size] as? Int ?? 0
            #expect(wal < 6_000_000)
            #expect(wal > 0)
        }
    }
}
