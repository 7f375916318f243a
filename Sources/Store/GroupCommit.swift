import Locking

/// The writes waiting for SQLite's one writer, committed together: while one transaction commits, the writes that
/// arrive queue here, and the next transaction runs them all, each in a savepoint of its own, so that one that
/// throws takes back only its own changes. A commit (its `BEGIN`, `COMMIT`, WAL pages and file locks) is then one
/// per batch instead of one per write, and the pages several writes touch (a table's last leaf, its indexes) are
/// written once. Each write still runs alone and sees the ones before it, as if they ran one at a time, and none
/// returns before its batch is committed.
final class GroupCommit: Sendable {
    /// Bounds how long the first write of a batch waits for the others' bodies.
    static let maximumBatch = 64

    private struct State {
        var waiting: [any QueuedWrite] = []
        var committing = false
    }

    private let state = PThreadMutex(State())
    private let writer: ConnectionWorker<SQLiteConnection>
    private let listeners: NotificationListeners

    init(writer: ConnectionWorker<SQLiteConnection>, listeners: NotificationListeners) {
        self.writer = writer
        self.listeners = listeners
    }

    func write<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        // `body` only pretends to escape: the write lets go of it once it has run, before it resumes the caller.
        try await withoutActuallyEscaping(body) { body in
            try await withCheckedThrowingContinuation { continuation in
                enqueue(Write(body, continuation))
            }
        }
    }

    /// How many writes wait for the writer, for tests that line up a batch.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    private func enqueue(_ write: any QueuedWrite) {
        let start = state.withLock { state in
            state.waiting.append(write)
            defer { state.committing = true }
            return !state.committing
        }
        if start { writer.submit { self.commitWaiting(on: $0) } }
    }

    /// On the writer's queue: batch after batch until none waits.
    private func commitWaiting(on connection: SQLiteConnection) {
        while true {
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

    private func commit(_ batch: [any QueuedWrite], on connection: SQLiteConnection) {
        // Alone, a write is its own transaction (`run` opens it).
        guard batch.count > 1 else {
            batch[0].run(on: connection)
            listeners.deliver(connection.pendingNotifications)
            batch[0].finish()
            return
        }
        var ran = 0
        var landed = true
        do {
            try connection.transaction(.immediate) {
                for write in batch {
                    write.run(on: connection)
                    ran += 1
                    // Some failures (a full disk, an I/O error) make SQLite roll back the whole transaction.
                    if !connection.isInTransaction { throw write.failure ?? SQLiteError.transactionEnded }
                }
            }
        } catch {
            landed = false
            // Nothing ran when the batch could not begin (another process held the file too long): all fail with it.
            if ran == 0 { ran = batch.count }
            for write in batch[..<ran] where write.failure == nil { write.fail(error) }
        }
        if landed { listeners.deliver(connection.pendingNotifications) }
        for write in batch[..<ran] { write.finish() }
        // Those after a write that lost the transaction did not run: they wait for the next batch, first in line.
        if ran < batch.count { state.withLock { $0.waiting.insert(contentsOf: batch[ran...], at: 0) } }
    }
}

/// One write in `GroupCommit`'s queue, whatever its result's type.
private protocol QueuedWrite: AnyObject, Sendable {
    /// Runs the body in a transaction of its own, or a savepoint of the batch's.
    func run(on connection: SQLiteConnection)
    var failure: (any Error)? { get }
    /// Takes the write's result as failed with `error` instead (its batch did not commit).
    func fail(_ error: any Error)
    /// Resumes the caller with the result.
    func finish()
}

private final class Write<T: Sendable>: QueuedWrite, @unchecked Sendable {
    // Unchecked: every member is touched only on the writer's queue, once `enqueue` handed the write over.
    private var body: (@Sendable (SQLiteConnection) throws -> T)?
    private var result: Result<T, any Error>?
    private let continuation: CheckedContinuation<T, any Error>

    init(_ body: @escaping @Sendable (SQLiteConnection) throws -> T, _ continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(on connection: SQLiteConnection) {
        guard let body else { preconditionFailure("a database write ran twice") }
        self.body = nil
        result = Result { try connection.transaction(.immediate) { try body(connection) } }
    }

    var failure: (any Error)? {
        if case .failure(let error) = result { error } else { nil }
    }

    func fail(_ error: any Error) {
        body = nil
        result = .failure(error)
    }

    func finish() {
        guard let result else { preconditionFailure("a database write finished before it ran") }
        continuation.resume(with: result)
    }
}
