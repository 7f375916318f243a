import Store

/// A bounded pool of PostgreSQL connections shared across tasks, shaped like
/// the SQLite `Database`: `write` and `read` run a closure in a transaction.
///
/// Each connection lives on its own serial dispatch queue, so blocking libpq
/// calls never occupy Swift's cooperative thread pool; callers beyond the pool
/// size wait for a connection. Size the pool so that replicas × `poolSize`
/// stays under the server's `max_connections`.
///
/// A connection the server dropped (a restart, a failover) is re-established
/// by itself at its next transaction. Operations are not cancelled with their
/// task: once queued, a write runs to completion.
public final class PostgresDatabase: Sendable {
    public static let defaultPoolSize = 4

    public let connectionString: PostgresConnectionString
    private let workers: [ConnectionWorker<PostgresConnection>]
    private let pool: CheckoutPool

    /// Opens every connection up front, so a wrong URL or an unreachable server fails at start.
    public init(
        url: String,
        poolSize: Int = PostgresDatabase.defaultPoolSize,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        precondition(poolSize >= 1, "a PostgresDatabase needs at least one connection")
        let connectionString = try PostgresConnectionString(url)
        self.connectionString = connectionString
        workers = try (0..<poolSize).map { index in
            ConnectionWorker(
                label: "store.postgres.\(index)",
                connection: try PostgresConnection(
                    connectionString: connectionString,
                    statementTimeout: statementTimeout,
                    statementCacheCapacity: statementCacheCapacity
                )
            )
        }
        pool = CheckoutPool(
            count: poolSize,
            closedError: PostgresError(kind: .closed, sqlState: nil, message: "the database is closed", sql: nil)
        )
    }

    deinit {
        close()
    }

    /// Runs `body` in a read-write transaction. Under `.readCommitted` (the
    /// default) concurrent writers interleave: lock the rows a decision depends
    /// on (`SELECT … FOR UPDATE`), or ask for `.serializable` and retry on
    /// `.serializationFailure`.
    @discardableResult
    public func write<T: Sendable>(
        _ isolation: PostgresConnection.IsolationLevel = .readCommitted,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await run { connection in
            try connection.transaction(isolation, readOnly: false) { try body(connection) }
        }
    }

    /// Runs `body` in a read-only transaction on one snapshot: all its queries
    /// see the same committed data, as a SQLite reader does.
    public func read<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await run { connection in
            try connection.transaction(.repeatableRead, readOnly: true) { try body(connection) }
        }
    }

    /// Waits for running and queued work, then closes every connection. Calls
    /// made afterwards throw. Must not be called from inside `read` or `write`.
    public func close() {
        pool.close()
        for worker in workers {
            worker.close()
        }
    }

    private func run<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let index = try await pool.checkOut()
        defer { pool.checkIn(index) }
        return try await workers[index].run(body)
    }
}
