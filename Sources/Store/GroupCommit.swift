import Locking

/// The writes waiting for SQLite's one writer, committed together: while one transaction commits, the writes that
/// arrive queue here, and the next transaction runs them all, each in a savepoint of its own, so that one that
/// throws takes back only its own changes. A commit (its `BEGIN`, `COMMIT`, WAL pages and file locks) is then one
/// per batch instead of one per write, and the pages several writes touch (a table's last leaf, its indexes) are
/// written once. Each write still runs alone and sees the ones before it, as if they ran one at a time, and none
/// returns before its batch is committed.
///
/// A brief write that finds the writer idle runs on the caller's thread instead (`write(brief:)`): the hop to the
/// writer's thread and back, two thread wake-ups, cost a click more than its audit row's `INSERT` and `COMMIT`. So
/// that the caller's thread never waits long, it does not wait for another process's write lock (the writer's
/// thread does, after it) and leaves the WAL's checkpoints to the writer's thread (`deferCheckpoints`).
final class GroupCommit: Sendable {
    /// Bounds how long the first write of a batch waits for the others' bodies.
    static let maximumBatch = 64

    private struct State {
        var waiting: [any QueuedWrite] = []
        var committing = false
        var closed = false
        var handOffs = 0
    }

    private let state = PThreadMutex(State())
    private let writer: ConnectionWorker<SQLiteConnection>
    private let listeners: NotificationListeners

    /// The writer's connection must defer its checkpoints (`SQLiteConnection.deferCheckpoints`).
    init(writer: ConnectionWorker<SQLiteConnection>, listeners: NotificationListeners) {
        self.writer = writer
        self.listeners = listeners
    }

    /// A body must not run `BEGIN`, `COMMIT`, `ROLLBACK` or `RELEASE` itself, and may run again (as on PostgreSQL) when
    /// another write of its batch lost the transaction. The store's listeners are told on the thread that commits.
    /// A `brief` body writes a few rows: it may run on the calling thread.
    func write<T: Sendable>(brief: Bool = false, _ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        // `body` only pretends to escape: the write lets go of it once it has finished, before it resumes the caller.
        try await withoutActuallyEscaping(body) { body in
            try await withCheckedThrowingContinuation { continuation in
                let write = Write(body, continuation)
                if !brief || !commitHere(write) { enqueue(write) }
            }
        }
    }

    /// Commits `write` on this thread when no other write is committing or waiting; false, with nothing done, when
    /// it must queue.
    private func commitHere(_ write: any QueuedWrite) -> Bool {
        let idle = state.withLock { state in
            guard !state.closed, !state.committing else { return false }
            state.committing = true
            return true
        }
        guard idle else { return false }
        // The writer's queue is idle: `runHere` runs on this thread (at worst after the block that just let go).
        let (landed, checkpointDue) = writer.runHere { connection in
            runAlone(write, waitingForTheLock: false, on: connection)
            return ((write.failure as? SQLiteError) != .writeLockHeld, connection.isCheckpointDue)
        }
        // Writes that queued meanwhile, another process's lock, or a checkpoint: the writer's thread takes over.
        let handOff = state.withLock { state in
            if !landed {
                state.waiting.insert(write, at: 0)
                state.handOffs += 1
            }
            if state.waiting.isEmpty, !checkpointDue {
                state.committing = false
                return false
            }
            return true
        }
        if landed { write.finish() }
        if handOff { writer.submit { self.commitWaiting(on: $0) } }
        return true
    }

    /// How many writes wait for the writer, for tests that line up a batch.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// How many brief writes found another process's lock and went to the writer's thread, for tests.
    var handOffs: Int { state.withLock { $0.handOffs } }

    /// Writes waiting now, and any asked for later, fail: the connection is about to close.
    func close() {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for write in waiting { write.finish(failingWith: SQLiteError.connectionClosed(sql: nil)) }
    }

    private func enqueue(_ write: any QueuedWrite) {
        let (start, closed) = state.withLock { state in
            if state.closed { return (false, true) }
            state.waiting.append(write)
            defer { state.committing = true }
            return (!state.committing, false)
        }
        if closed { return write.finish(failingWith: SQLiteError.connectionClosed(sql: nil)) }
        if start { writer.submit { self.commitWaiting(on: $0) } }
    }

    /// On the writer's queue: batch after batch until none waits, each after the checkpoint due, if one is.
    private func commitWaiting(on connection: SQLiteConnection) {
        while true {
            if connection.isCheckpointDue { connection.checkpoint() }
            let batch = state.withLock { state in
                let batch = Array(state.waiting.prefix(Self.maximumBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.committing = false }
                return batch
            }
            if batch.isEmpty { return }
            commit(batch, on: connection)
        }
    }

    /// `write` in a transaction of its own; its notifications are delivered if it committed.
    private func runAlone(_ write: any QueuedWrite, waitingForTheLock: Bool, on connection: SQLiteConnection) {
        write.run(on: connection, waitingForTheLock: waitingForTheLock)
        let notifications = connection.takeNotifications()
        if write.failure == nil { listeners.deliver(notifications) }
    }

    private func commit(_ batch: [any QueuedWrite], on connection: SQLiteConnection) {
        // Alone, a write is its own transaction (`run` opens it).
        guard batch.count > 1 else {
            runAlone(batch[0], waitingForTheLock: true, on: connection)
            return batch[0].finish()
        }
        var lostAt: Int?
        do {
            try connection.transaction(.immediate) {
                for (index, write) in batch.enumerated() {
                    write.run(on: connection, waitingForTheLock: true)
                    // Some failures (a full disk, an I/O error) make SQLite roll back the whole transaction.
                    if !connection.isInTransaction {
                        lostAt = index
                        throw write.failure ?? SQLiteError.transactionEnded
                    }
                }
            }
        } catch {
            _ = connection.takeNotifications()
            guard let lostAt else {
                // The batch could not begin (another process held the file too long) or commit: none landed.
                for write in batch { write.finish(failingWith: error) }
                return
            }
            // The write that lost the transaction fails alone; the others, before and after, run again, first in line.
            batch[lostAt].finish()
            var again = batch
            again.remove(at: lostAt)
            state.withLock { $0.waiting.insert(contentsOf: again, at: 0) }
            return
        }
        listeners.deliver(connection.takeNotifications())
        for write in batch { write.finish() }
    }
}

/// One write in `GroupCommit`'s queue, whatever its result's type.
private protocol QueuedWrite: AnyObject, Sendable {
    /// Runs the body in a transaction of its own, or a savepoint of the batch's; again if its batch was lost. Without
    /// `waitingForTheLock`, fails with `SQLiteError.writeLockHeld`, without running the body, if another process holds it.
    func run(on connection: SQLiteConnection, waitingForTheLock: Bool)
    var failure: (any Error)? { get }
    /// Resumes the caller with the result of the last run.
    func finish()
    /// Resumes the caller with `error` (its batch did not commit).
    func finish(failingWith error: any Error)
}

private final class Write<T: Sendable>: QueuedWrite, @unchecked Sendable {
    // Unchecked: every member is touched by one thread at a time: the writer's queue once `enqueue` handed the write
    // over; `commitHere`'s caller, which runs it in `runHere` (one at a time with the queue) and finishes it before
    // anything else can reach it; or `close`, which takes it out of the queue under the lock first.
    private var body: (@Sendable (SQLiteConnection) throws -> T)?
    private var result: Result<T, any Error>?
    private let continuation: CheckedContinuation<T, any Error>

    init(_ body: @escaping @Sendable (SQLiteConnection) throws -> T, _ continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(on connection: SQLiteConnection, waitingForTheLock: Bool) {
        guard let body else { preconditionFailure("a database write ran after it finished") }
        result = Result { try connection.transaction(waitingForTheLock ? .immediate : .immediateIfFree) { try body(connection) } }
    }

    var failure: (any Error)? {
        if case .failure(let error) = result { error } else { nil }
    }

    func finish() {
        guard let result else { preconditionFailure("a database write finished before it ran") }
        resume(with: result)
    }

    func finish(failingWith error: any Error) {
        resume(with: .failure(error))
    }

    private func resume(with result: Result<T, any Error>) {
        body = nil
        continuation.resume(with: result)
    }
}
