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

    /// A `read` of a few rows by key, short enough for the caller to wait for on its own thread (an event
    /// loop's, for a request): SQLite runs it there, saving the hop to a reader's queue and back, whose two
    /// thread wake-ups cost more than such a read. Any other store reads as `read` does.
    func briefRead<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// A `write` of a few rows, short enough for the caller to wait for on its own thread: SQLite runs it there
    /// when the writer is idle, as `briefRead`. Any other store writes as `write` does.
    @discardableResult
    func briefWrite<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

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

    public func briefRead<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        try await read(body)
    }

    @discardableResult
    public func briefWrite<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        try await write(body)
    }
}
