/// A store the app's stores run their SQL on: SQLite's `Database` or PostgreSQL's
/// `PostgresDatabase`, picked at start by the configuration. Both give the same guarantees:
///
/// - `write` runs its body in a transaction as if writes ran one at a time (SQLite serializes
///   them; PostgreSQL runs them SERIALIZABLE and runs the body again after a serialization
///   failure, so a body must not act outside its connection);
/// - `read` runs its body read-only on one committed snapshot.
public protocol SQLDatabase: Sendable {
    associatedtype Connection: SQLConnection

    var dialect: SQLDialect { get }

    /// Where the data lives, for operators: a file path, or a connection string with its secrets redacted.
    var location: String { get }

    /// How many commits changed each table, counted across every process that writes the store, for what a
    /// process keeps of rows it read. nil where the store cannot count them (PostgreSQL's replicas do not).
    var tableChanges: TableChanges? { get }

    @discardableResult
    func write<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    func read<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// A few reads of rows by key that do not depend on each other, in one read-only transaction (one snapshot), short
    /// enough for the caller to wait for on its own thread (an event loop's, for a request), without the hop to a
    /// connection's queue and back, whose two thread wake-ups cost more than such a read. SQLite runs them on the
    /// caller's thread; PostgreSQL sends them, with the transaction's `BEGIN` and `COMMIT`, in one round trip, awaited
    /// on the caller's event loop (`PostgresLoopConnection`). The rows of each statement, in order.
    func briefRead(_ statements: [SQLStatement]) async throws -> [[Row]]

    /// One statement that writes a few rows, as briefly as `briefRead`: SQLite runs it on the caller's thread when the
    /// writer is idle; PostgreSQL sends it with its `BEGIN` and `COMMIT`, in a transaction it may share with other
    /// brief writes that waited for the same connection (each of them committed or none). So its effect must not
    /// depend on the transaction it runs in: no transaction control, `SET LOCAL`, transaction-scoped locks, `NOTIFY` or
    /// transaction time, and no error expected as an answer (a refused statement makes its batch run again one by one). Returns the rows
    /// it changed.
    @discardableResult
    func briefExecute(_ statement: SQLStatement) async throws -> Int

    /// A write that also holds the store's schema lock for its whole transaction, and whose queries
    /// see what an earlier holder committed: how replicas starting together migrate once.
    @discardableResult
    func writeExclusively<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// Runs `body` holding the lock `name` of this store, for work that must happen once however many
    /// processes share the store but cannot run inside a transaction (a call to another service). Waits
    /// at most `timeout` for another process's holder, then throws a `StoreError` that is `.busy`. On
    /// SQLite, one process's store, the lock is this process's; PostgreSQL's is an advisory lock, which
    /// the server lets go of when its holder's session ends, so a crashed holder blocks nobody.
    func withLock<T: Sendable>(named name: String, waitingAtMost timeout: Duration, _ body: () async throws -> T) async throws -> T

    /// `withLock` without the wait: nil, without running `body`, when another holds `name`.
    func withLockIfAvailable<T: Sendable>(named name: String, _ body: () async throws -> T) async throws -> T?

    /// Calls `handler` with the payload of each committed `SQLConnection.notify` on `channel`, on a
    /// thread of the store's, until `close`. Delivery is at most once: PostgreSQL's listener works over
    /// a connection of its own, and when it breaks, `handler` hears `.missedSome` once it listens again.
    func listen(to channel: String, _ handler: @escaping @Sendable (DatabaseNotification) -> Void) throws

    func close()
}

extension SQLDatabase {
    public var tableChanges: TableChanges? { nil }

    /// The first row of one brief read.
    public func briefReadFirst(_ statement: SQLStatement) async throws -> Row? {
        try await briefRead([statement]).first?.first
    }
}
