import Locking
public import Store

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
public final class PostgresDatabase: SQLDatabase {
    public static let defaultPoolSize = 4
    /// How often `write` runs a body that keeps losing serialization conflicts before giving up.
    public static let serializableAttempts = 8
    /// The advisory lock `writeExclusively` holds: one number for this application's schema.
    static let schemaLockKey: Int64 = 0x6673_725F_7363_6865 // "fsr_sche"

    public let connectionString: PostgresConnectionString
    private let workers: [ConnectionWorker<PostgresConnection>]
    private let pool: CheckoutPool
    /// Advisory locks are the session's, and a session may take one again: a name is held by one task
    /// of this process first, so a second task on the same connection cannot take it alongside the first.
    private let locks = NamedLocks()

    private let listeners = PThreadMutex<[PostgresListener]>([])

    /// Opens every connection up front, so a wrong URL or an unreachable server fails at start.
    public convenience init(
        url: String,
        poolSize: Int = PostgresDatabase.defaultPoolSize,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        try self.init(
            connectionString: PostgresConnectionString(url),
            poolSize: poolSize,
            statementTimeout: statementTimeout,
            statementCacheCapacity: statementCacheCapacity
        )
    }

    public init(
        connectionString: PostgresConnectionString,
        poolSize: Int = PostgresDatabase.defaultPoolSize,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        precondition(poolSize >= 1, "a PostgresDatabase needs at least one connection")
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

    /// Runs `body` in a SERIALIZABLE read-write transaction, as SQLite's one writer would, running
    /// it again (after a short random pause) when the server aborts it for a conflict with another
    /// writer; after `serializableAttempts` the `.serializationFailure` is thrown.
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await write(.serializable, body)
            } catch let error as PostgresError where error.kind == .serializationFailure && attempt < Self.serializableAttempts {
                attempt += 1
                // Jitter, growing with the attempts, so the conflicting writers do not meet again.
                try? await Task.sleep(for: .microseconds(Int.random(in: 0...(500 << min(attempt, 6)))))
            }
        }
    }

    /// Runs `body` once in a read-write transaction of the given isolation. Under `.readCommitted`
    /// concurrent writers interleave: lock the rows a decision depends on (`SELECT … FOR UPDATE`).
    @discardableResult
    public func write<T: Sendable>(
        _ isolation: PostgresConnection.IsolationLevel,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await run { connection in
            try connection.transaction(isolation, readOnly: false) { try body(connection) }
        }
    }

    /// READ COMMITTED under a transaction-scoped advisory lock: each statement after the lock sees
    /// what the previous holder committed, which one SERIALIZABLE snapshot taken while waiting would not.
    @discardableResult
    public func writeExclusively<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await write(.readCommitted) { connection in
            try connection.execute("SELECT pg_advisory_xact_lock(?)", [.integer(Self.schemaLockKey)])
            return try body(connection)
        }
    }

    /// A session-level advisory lock, taken on one of the pool's connections and given back to the pool
    /// at once: the lock stays with that session while `body` runs, and its release goes to that connection's
    /// queue. So `body` holds no connection, and may use the store itself. The wait is `lock_timeout`;
    /// past it, `.lockTimeout` (a busy store).
    public func withLock<T: Sendable>(named name: String, waitingAtMost timeout: Duration, _ body: () async throws -> T) async throws -> T {
        try await locks.withLock(name) {
            let index = try await pool.checkOut()
            do {
                try await workers[index].run { try $0.advisoryLock(name, waitingAtMost: timeout) }
            } catch {
                pool.checkIn(index)
                throw error
            }
            pool.checkIn(index)
            return try await holding(name, on: index, body)
        }
    }

    public func withLockIfAvailable<T: Sendable>(named name: String, _ body: () async throws -> T) async throws -> T? {
        try await locks.withLockIfAvailable(name) { () async throws -> T? in
            let index = try await pool.checkOut()
            let acquired: Bool
            do {
                acquired = try await workers[index].run { try $0.tryAdvisoryLock(name) }
            } catch {
                pool.checkIn(index)
                throw error
            }
            pool.checkIn(index)
            guard acquired else { return nil }
            return try await holding(name, on: index, body)
        } ?? nil
    }

    /// Runs `body`, then releases `name` on the session of connection `index`, whose queue runs the release
    /// between other callers' transactions. Should the release fail, the lock goes with the session.
    private func holding<T: Sendable>(_ name: String, on index: Int, _ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        try? await workers[index].run { $0.advisoryUnlock(name) }
        return try result.get()
    }

    /// Each call opens a connection of its own, beside the pool (`PostgresListener`): count it against
    /// `max_connections` with the pool.
    public func listen(to channel: String, _ handler: @escaping @Sendable (DatabaseNotification) -> Void) throws {
        let listener = try PostgresListener(connectionString: connectionString, channel: channel, handler: handler)
        listeners.withLock { $0.append(listener) }
    }

    public var dialect: SQLDialect { .postgres }

    /// The connection string with its password redacted.
    public var location: String { connectionString.description }

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
        for listener in listeners.withLock({ listeners in defer { listeners = [] }; return listeners }) {
            listener.stop()
        }
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
