import Foundation
import Locking

/// A SQLite database file shared across tasks: one writer connection and a
/// small pool of read-only connections.
///
/// Each connection lives on its own serial dispatch queue, so blocking SQLite
/// calls (disk I/O, busy waits, checkpoints) do not occupy the caller's thread.
/// `briefRead` and `briefExecute`, a few rows by key, run on the caller's thread
/// instead: the hop there and back costs more than they do, and neither waits
/// there for another process. Writes are serialized in-process and committed in batches (`GroupCommit`);
/// `busy_timeout` covers other processes, so callers should not see
/// `SQLITE_BUSY`. Readers see committed data only (WAL).
///
/// Operations are not cancelled with their task: once queued, a write (an audit
/// record, say) runs to completion even if the request that asked for it is gone.
public final class Database: SQLDatabase {
    public static let defaultReaderCount = 3

    public let path: String
    /// Every process's commits to this file, by table (nil for an in-memory database).
    public let tableChanges: TableChanges?
    private let writer: ConnectionWorker<SQLiteConnection>
    private let readers: [ConnectionWorker<SQLiteConnection>]
    private let pool: CheckoutPool
    private let listeners = NotificationListeners()
    let groupCommit: GroupCommit

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
        let writerConnection = try SQLiteConnection(
            path: path, mode: .readWrite, busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity
        )
        // Named after the file the path leads to, as SQLite names its `-wal` and `-shm`: every alias shares one count.
        tableChanges = path.isEmpty || path == ":memory:" ? nil : try TableChanges(databasePath: Self.resolved(path))
        if let tableChanges { try writerConnection.countChanges(in: tableChanges) }
        try writerConnection.deferCheckpoints()
        writer = ConnectionWorker(label: "store.writer", connection: writerConnection)
        readers = try (0..<readerCount).map { index in
            ConnectionWorker(
                label: "store.reader.\(index)",
                connection: try SQLiteConnection(
                    path: path, mode: .readOnly, busyTimeout: busyTimeout, statementCacheCapacity: statementCacheCapacity
                )
            )
        }
        groupCommit = GroupCommit(writer: writer, listeners: listeners)
        pool = CheckoutPool(count: readerCount, closedError: SQLiteError.connectionClosed(sql: nil))
    }

    deinit {
        close()
    }

    private static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// Runs `body` on the writer connection inside a `BEGIN IMMEDIATE`
    /// transaction, after any writes queued before it: writes that queue while
    /// another commits share the next transaction, each in a savepoint (`GroupCommit`).
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await groupCommit.write(body)
    }

    /// On the calling thread when no other write is committing or waiting, and another process does not hold the
    /// write lock; otherwise as `write`.
    @discardableResult
    public func briefExecute(_ statement: SQLStatement) async throws -> Int {
        try await groupCommit.write(brief: true) { try $0.execute(statement) }
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

    /// On the calling thread, still one at a time with the reader's queue. A WAL reader never waits for
    /// the writer, so the caller waits for the read's own work only.
    public func briefRead(_ statements: [SQLStatement]) async throws -> [[Row]] {
        let index = try await pool.checkOut()
        defer { pool.checkIn(index) }
        return try readers[index].runHere { connection in
            try connection.transaction(.deferred) { try statements.map(connection.query) }
        }
    }

    /// Every write holds SQLite's one write lock already.
    @discardableResult
    public func writeExclusively<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await write(body)
    }

    /// The process's locks: SQLite's file is one process's. Shared by every `Database` of this
    /// process, keyed by file, so two opened on one file (as replicas would) exclude each other.
    private static let locks = NamedLocks()

    /// SQLite's one writer lock cannot be held while `body` runs elsewhere: the lock is this process's alone,
    /// and a waiter waits for its holder however long (its holder's own timeouts bound it).
    public func withLock<T: Sendable>(named name: String, waitingAtMost timeout: Duration, _ body: () async throws -> T) async throws -> T {
        try await Self.locks.withLock(path + "\n" + name, body)
    }

    public func withLockIfAvailable<T: Sendable>(named name: String, _ body: () async throws -> T) async throws -> T? {
        try await Self.locks.withLockIfAvailable(path + "\n" + name, body)
    }

    /// Notifications stay in this process: what another process writes to the file (a `reconcile` run) is
    /// heard by nobody here.
    public func listen(to channel: String, _ handler: @escaping @Sendable (DatabaseNotification) -> Void) {
        listeners.add(handler, to: channel)
    }

    public var dialect: SQLDialect { .sqlite }

    public var location: String { path }

    /// Waits for running and queued work, then closes every connection. Calls
    /// made afterwards throw. Must not be called from inside `read` or `write`.
    public func close() {
        groupCommit.close()
        pool.close()
        for reader in readers {
            reader.close()
        }
        writer.close()
    }
}
