public import Store

/// A failed PostgreSQL call, classified by SQLSTATE. Carries the SQL text and
/// the server's primary message, never bound values or the message's detail
/// (which quotes key values), nor a password from the connection string.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 23505: a UNIQUE or PRIMARY KEY constraint refused the row.
        case uniqueViolation
        /// 40001 or 40P01: the server aborted the transaction to keep it
        /// serializable or to break a deadlock; running it again may succeed.
        case serializationFailure
        /// 57014: cancelled, by `statement_timeout` or an operator.
        case queryCanceled
        /// 55P03: a lock (an advisory lock of `PostgresDatabase.withLock`) was not had within `lock_timeout`.
        case lockTimeout
        /// The connection broke (class 08, a server shutting down, or libpq
        /// saw the socket close); it is re-established on the next use.
        case connectionLost
        /// The server could not be reached or refused the connection.
        case cannotConnect
        /// The connection string is malformed; libpq's own message is not kept
        /// because it may quote the string, password included.
        case invalidConnectionString
        /// The connection was closed by this process.
        case closed
        /// A call the API does not allow, such as several statements in one `execute`.
        case misuse
        case other
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let message: String
    public let sql: String?

    public init(kind: Kind, sqlState: String?, message: String, sql: String?) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    /// Whether the store is unreachable rather than the request wrong: what a
    /// page reports as `database_unavailable`.
    public var isUnavailable: Bool { kind == .connectionLost || kind == .cannotConnect }

    /// What every use of a closed `PostgresDatabase` throws.
    static let databaseClosed = PostgresError(kind: .closed, sqlState: nil, message: "the database is closed", sql: nil)

    /// What a use of a closed connection throws.
    static func connectionClosed(sql: String?) -> PostgresError {
        PostgresError(kind: .closed, sqlState: nil, message: "the database connection is closed", sql: sql)
    }

    /// The server refused a statement and said why, on a session that is still there: its transaction was rolled back,
    /// and nothing of it committed.
    var isServerRefusal: Bool { sqlState != nil && kind != .connectionLost }

    /// 0A000 "cached plan must not change result type": a prepared statement outlived its table's shape.
    var isStalePlan: Bool { sqlState == "0A000" && message.contains("cached plan must not change result type") }

    public var description: String {
        var text = "PostgreSQL error"
        if let sqlState { text += " \(sqlState)" }
        text += " (\(kind)): \(message)"
        if let sql { text += " — SQL: \(sql)" }
        return text
    }

    static func kind(sqlState: String) -> Kind {
        switch sqlState {
        case "23505": .uniqueViolation
        case "40001", "40P01": .serializationFailure
        case "57014": .queryCanceled
        case "55P03": .lockTimeout
        // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away or not back yet.
        case "57P01", "57P02", "57P03": .connectionLost
        case _ where sqlState.hasPrefix("08"): .connectionLost
        default: .other
        }
    }

    /// Data exceptions (class 22) quote the offending input, which may be a
    /// secret or patient data, so only the class is reported.
    static func publicMessage(_ message: String, sqlState: String?) -> String {
        guard let sqlState, sqlState.hasPrefix("22") else { return message }
        return "invalid data for the column's type (the value is not shown)"
    }
}

extension PostgresError: StoreError {
    public var unavailability: StoreUnavailability? {
        switch kind {
        case .connectionLost, .cannotConnect: .unreachable
        // Conflicts that outlasted `PostgresDatabase.write`'s retries, a statement past its timeout, or a
        // lock another replica held past the wait.
        case .serializationFailure, .queryCanceled, .lockTimeout: .busy
        default: nil
        }
    }
}
