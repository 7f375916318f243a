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

    /// A write that also holds the store's schema lock for its whole transaction, and whose queries
    /// see what an earlier holder committed: how replicas starting together migrate once.
    @discardableResult
    func writeExclusively<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T

    /// Calls `handler` with the payload of each committed `SQLConnection.notify` on `channel`, on a
    /// thread of the store's, until `close`. Delivery is at most once: PostgreSQL's listener works over
    /// a connection of its own, and when it breaks, `handler` hears `.missedSome` once it listens again.
    func listen(to channel: String, _ handler: @escaping @Sendable (DatabaseNotification) -> Void) throws

    func close()
}
