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

    @discardableResult
    func write<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    func read<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// A `read` of a few rows by key, short enough for the caller to wait for on its own thread (an event
    /// loop's, for a request): SQLite runs it there, saving the hop to a reader's queue and back, whose two
    /// thread wake-ups cost more than such a read. Any other store reads as `read` does.
    func briefRead<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// A `write` of a few rows by key, short enough for the caller to wait for on its own thread: SQLite runs
    /// it there when no other write is queued or running (else it queues, as `write` does). Any other store
    /// writes as `write` does.
    @discardableResult
    func briefWrite<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// A write that also holds the store's schema lock for its whole transaction, and whose queries
    /// see what an earlier holder committed: how replicas starting together migrate once.
    @discardableResult
    func writeExclusively<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    func close()
}

extension SQLDatabase {
    public func briefRead<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        try await read(body)
    }

    @discardableResult
    public func briefWrite<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        try await write(body)
    }
}
