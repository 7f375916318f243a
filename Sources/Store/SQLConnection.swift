/// One connection of either store, as the app's stores use it inside `SQLDatabase.read` and
/// `write`. Placeholders are `?` on both; PostgreSQL's connection numbers them.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs one statement and returns the rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ sql: String, _ bindings: [DatabaseValue]) throws -> Int

    func query(_ sql: String, _ bindings: [DatabaseValue]) throws -> [Row]

    func queryFirst(_ sql: String, _ bindings: [DatabaseValue]) throws -> Row?

    /// Runs semicolon-separated statements without parameters (a migration).
    func executeScript(_ script: String) throws

    /// Runs `body` so that a throw undoes only what it did, inside the surrounding transaction.
    @discardableResult
    func savepoint<T>(_ body: () throws -> T) throws -> T

    /// Inside a write: tells the listeners of `channel` (`SQLDatabase.listen`) once the transaction
    /// commits, and nobody if it rolls back. On PostgreSQL every process listening on the database
    /// hears it (`NOTIFY`); SQLite's listeners are this process's.
    func notify(_ channel: String, payload: String) throws
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) throws -> Int {
        try execute(sql, [])
    }

    public func query(_ sql: String) throws -> [Row] {
        try query(sql, [])
    }

    public func queryFirst(_ sql: String) throws -> Row? {
        try queryFirst(sql, [])
    }

    /// A statement built for `SQLDatabase.briefRead`, run inside a transaction of the caller's.
    @discardableResult
    public func execute(_ statement: SQLStatement) throws -> Int {
        try execute(statement.sql, statement.bindings)
    }

    public func query(_ statement: SQLStatement) throws -> [Row] {
        try query(statement.sql, statement.bindings)
    }

    public func queryFirst(_ statement: SQLStatement) throws -> Row? {
        try queryFirst(statement.sql, statement.bindings)
    }

    /// Maps rows after the statement has finished, so `transform` may itself use this connection.
    public func query<T>(_ sql: String, _ bindings: [DatabaseValue] = [], _ transform: (Row) throws -> T) throws -> [T] {
        try query(sql, bindings).map(transform)
    }
}
