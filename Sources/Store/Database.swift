import Dispatch
import Foundation
import Locking

/// A SQLite database file shared across tasks: one writer connection and a
/// small pool of read-only connections.
///
/// Each connection lives on its own serial dispatch queue, so blocking SQLite
/// calls (disk I/O, busy waits) never occupy Swift's cooperative thread pool.
/// Writes are serialized in-process; `busy_timeout` covers other processes, so
/// callers should not see `SQLITE_BUSY`. Readers see committed data only (WAL).
///
/// Operations are not cancelled with their task: once queued, a write (an audit
/// record, say) runs to completion even if the request that asked for it is gone.
public final class Database: Sendable {
    public static let defaultReaderCount = 3

    public let path: String
    private let writer: ConnectionWorker
    private let readers: [ConnectionWorker]
    private let pool: ReaderPool

    /// Opens the writer first: it creates the file and switches it to WAL,
    /// which read-only connections cannot do.
    public init(
        path: String,
        readerCount: Int = Database.defaultReaderCount,
        busyTimeout: Duration = SQLiteConnection.defaultBusyTimeout,
        statementCacheCapacity: Int = SQLiteConnection.defaultStatementCacheCapacity
    ) throws {
        precondition(readerCount >= 1, "a Database needs at least one reader connection")
        self.path = path
        writer = ConnectionWorker(
            label: "store.writer",
            connection: try SQLiteConnection(
                path: path, mode: .readWrite, busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity
            )
        )
        readers = try (0..<readerCount).map { index in
            ConnectionWorker(
                label: "store.reader.\(index)",
                connection: try SQLiteConnection(
                    path: path, mode: .readOnly, busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity
                )
            )
        }
        pool = ReaderPool(readerCount: readerCount)
    }

    deinit {
        close()
    }

    /// Runs `body` on the writer connection inside a `BEGIN IMMEDIATE`
    /// transaction, after any writes queued before it.
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.run { connection in
            try connection.transaction(.immediate) { try body(connection) }
        }
    }

    /// Runs `body` on an idle read-only connection, waiting for one if all are
    /// busy. All queries in `body` see the same committed snapshot.
    public func read<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let index = try await pool.checkOut()
        defer { pool.checkIn(index) }
        return try await readers[index].run { connection in
            try connection.transaction(.deferred) { try body(connection) }
        }
    }

    /// Waits for running and queued work, then closes every connection. Calls
    /// made afterwards throw. Must not be called from inside `read` or `write`.
    public func close() {
        pool.close()
        for reader in readers {
            reader.close()
        }
        writer.close()
    }
}

/// Hands out reader indices, queueing callers while all readers are busy.
private final class ReaderPool: Sendable {
    private struct State {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, any Error>] = []
        var isClosed = false
    }

    // The package's lock (see `PThreadMutex` for why not `Synchronization.Mutex`).
    private let state: PThreadMutex<State>

    init(readerCount: Int) {
        state = PThreadMutex(State(idle: Array(0..<readerCount)))
    }

    func checkOut() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, SQLiteError>? = state.withLock { state in
                if state.isClosed { return .failure(.connectionClosed(sql: nil)) }
                if let index = state.idle.popLast() { return .success(index) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready {
                continuation.resume(with: ready)
            }
        }
    }

    /// Hands the reader straight to the longest waiter, so a steady stream of
    /// new reads cannot starve one that is already queued.
    func checkIn(_ index: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }

    /// Fails every queued caller; later check-outs fail too.
    func close() {
        let abandoned = state.withLock { state in
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in abandoned {
            waiter.resume(throwing: SQLiteError.connectionClosed(sql: nil))
        }
    }
}

/// A connection confined to one serial queue.
private final class ConnectionWorker: @unchecked Sendable {
    // Unchecked because `connection` is not Sendable: it is only ever touched
    // from blocks running on `queue`, which runs one at a time.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue

    init(label: String, connection: SQLiteConnection) {
        self.connection = connection
        self.queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        // The queue needs an escaping closure; this one is safe to escape because
        // we wait for it, and `Job` lets go of it before resuming the caller.
        try await withoutActuallyEscaping(body) { body in
            let job = Job(body)
            return try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: job.run(self.connection))
                }
            }
        }
    }

    func close() {
        queue.sync { connection.close() }
    }
}

/// Holds a closure until it runs once, then drops it, so that when the caller
/// resumes nothing still references the closure that only pretended to escape.
private final class Job<T: Sendable>: @unchecked Sendable {
    // Unchecked: `body` is written at init and cleared by `run`, which the
    // owning queue calls exactly once, strictly after init.
    private var body: (@Sendable (SQLiteConnection) throws -> T)?

    init(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) {
        self.body = body
    }

    func run(_ connection: SQLiteConnection) -> Result<T, any Error> {
        guard let body else { preconditionFailure("a database job ran twice") }
        self.body = nil
        return Result { try body(connection) }
    }
}
