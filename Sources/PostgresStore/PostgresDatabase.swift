import Dispatch
import Locking
import Reactor
public import Store

/// A bounded pool of PostgreSQL connections shared across tasks, shaped like
/// the SQLite `Database`: `write` and `read` run a closure in a transaction.
///
/// Each connection lives on its own serial dispatch queue, so blocking libpq
/// calls never occupy Swift's cooperative thread pool; callers beyond the pool
/// size wait for a connection. Size the pool so that replicas × `poolSize`
/// stays under the server's `max_connections`.
///
/// `briefRead` and `briefExecute` run on connections of the caller's event loop instead
/// (`PostgresLoopConnections`: up to `briefConnectionsPerLoop` on each loop that runs them, and on the store's own
/// loop for callers on none, opened when first needed): count those against `max_connections` too.
///
/// A connection the server dropped (a restart, a failover) is re-established
/// by itself at its next transaction. Operations are not cancelled with their
/// task: once queued, a write runs to completion.
public final class PostgresDatabase: SQLDatabase {
    public static let defaultPoolSize = 4
    /// One: what waits for it goes together in its next round trip (`BriefBatches`). On 2 cores, one connection a loop
    /// with batches cost 242 µs of a click's CPU where two without them cost 315 (docs/performance.md, round 7).
    public static let defaultBriefConnectionsPerLoop = 1
    /// The most statements brief transactions that wait for a connection send together (`BriefBatches`).
    public static let briefBatchStatements = BriefBatches.maximumStatements
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
    private let loopConnections: PostgresLoopConnections
    /// Brief transactions waiting for a loop's connection, sent together.
    private let batches: BriefBatches
    /// Where brief operations run for callers on no event loop (commands, background work): a loop of the store's own,
    /// started by the first.
    private let ownLoopThread = PThreadMutex<(thread: EventLoopThread?, isClosed: Bool)>((nil, false))
    private let ownLoopWork = DispatchGroup()

    /// Opens every connection up front, so a wrong URL or an unreachable server fails at start.
    public convenience init(
        url: String,
        poolSize: Int = PostgresDatabase.defaultPoolSize,
        briefConnectionsPerLoop: Int = PostgresDatabase.defaultBriefConnectionsPerLoop,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        try self.init(
            connectionString: PostgresConnectionString(url),
            poolSize: poolSize,
            briefConnectionsPerLoop: briefConnectionsPerLoop,
            statementTimeout: statementTimeout,
            statementCacheCapacity: statementCacheCapacity
        )
    }

    public init(
        connectionString: PostgresConnectionString,
        poolSize: Int = PostgresDatabase.defaultPoolSize,
        briefConnectionsPerLoop: Int = PostgresDatabase.defaultBriefConnectionsPerLoop,
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
        loopConnections = PostgresLoopConnections(
            perLoop: briefConnectionsPerLoop,
            connectionString: connectionString,
            statementTimeout: statementTimeout,
            statementCacheCapacity: statementCacheCapacity
        )
        batches = BriefBatches(connections: loopConnections)
        pool = CheckoutPool(
            count: poolSize,
            closedError: PostgresError.databaseClosed
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
        try await retryingConflicts { try await write(.serializable, body) }
    }

    /// Runs `attempt` again, after a short random pause, while the server aborts it for a conflict with another writer.
    private func retryingConflicts<T>(_ attempt: () async throws -> T) async throws -> T {
        var attempts = 1
        while true {
            do {
                return try await attempt()
            } catch let error as PostgresError where error.kind == .serializationFailure && attempts < Self.serializableAttempts {
                attempts += 1
                // Jitter, growing with the attempts, so the conflicting writers do not meet again.
                try? await Task.sleep(for: .microseconds(Int.random(in: 0...(500 << min(attempts, 6)))))
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

    /// A read-only transaction on one snapshot, as `read`, in one round trip awaited on the caller's event loop.
    public func briefRead(_ statements: [SQLStatement]) async throws -> [[Row]] {
        try await brief("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", statements, readOnly: true).map(\.rows)
    }

    /// SERIALIZABLE, as `write`, and run again after a conflict.
    @discardableResult
    public func briefExecute(_ statement: SQLStatement) async throws -> Int {
        try await retryingConflicts {
            try await brief("BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE", [statement], readOnly: false).first?.changed ?? 0
        }
    }

    /// Runs `statements` in a transaction opened by `begin` on a connection of the caller's event loop, or of the
    /// store's own. Once more when the server refused a statement prepared before another process changed its table
    /// (nothing was committed), and, `readOnly`, when the connection broke: a write whose answer was lost may have
    /// committed, and is not sent again.
    private func brief(_ begin: String, _ statements: [SQLStatement], readOnly: Bool) async throws -> [StatementResult] {
        if let loop = EventLoop.current {
            return try await brief(begin, statements, readOnly: readOnly, on: loop)
        }
        let loop = try enterOwnLoop()
        // A task of its own, so that the caller's never runs on the store's loop, even between returning and its next
        // suspension (where it would take the loop for one of the server's, or close the store from it). It leaves
        // `ownLoopWork` there too: `close` may be blocking the caller's thread, waiting for exactly that.
        return try await Task(executorPreference: loop) {
            defer { self.ownLoopWork.leave() }
            return try await self.brief(begin, statements, readOnly: readOnly, on: loop)
        }.value
    }

    private func brief(_ begin: String, _ statements: [SQLStatement], readOnly: Bool, on loop: EventLoop) async throws -> [StatementResult] {
        try await withTaskExecutorPreference(loop) {
            let attempt = { try await self.batches.run(begin, statements, on: loop) }
            do {
                return try await attempt()
            } catch let error as PostgresError where error.isStalePlan || (readOnly && error.kind == .connectionLost) {
                return try await attempt()
            }
        }
    }

    /// The store's own loop, started by the first caller on no loop, with the caller's work counted in `ownLoopWork`
    /// (which `close` waits for); `.closed` once the store is closed.
    private func enterOwnLoop() throws -> EventLoop {
        try ownLoopThread.withLock { (own: inout (thread: EventLoopThread?, isClosed: Bool)) throws -> EventLoop in
            guard !own.isClosed else { throw PostgresError.databaseClosed }
            let thread = try own.thread ?? EventLoopThread()
            own.thread = thread
            ownLoopWork.enter()
            return thread.loop
        }
    }

    /// How many connections the event loops hold for brief operations, for tests and diagnostics.
    public var briefConnectionCount: Int { loopConnections.openCount }

    /// How many round trips brief operations took, for tests and diagnostics.
    public var briefRoundTrips: Int { loopConnections.signals.roundTripCount }

    /// Waits for running and queued work, then closes every connection. Calls made afterwards throw. Must not be
    /// called from inside `read` or `write`. Brief work on the store's own loop gets 2 s to finish; what still waits
    /// for the server then fails (`.closed`, or `.connectionLost` for a round trip under way, whose write may have
    /// committed).
    public func close() {
        for listener in listeners.withLock({ listeners in defer { listeners = [] }; return listeners }) {
            listener.stop()
        }
        pool.close()
        for worker in workers {
            worker.close()
        }
        let thread = ownLoopThread.withLock { own in
            own.isClosed = true
            defer { own.thread = nil }
            return own.thread
        }
        // On the store's own loop (its last reference dropped there), nothing else runs there until this returns.
        let onTheOwnLoop = thread?.loop.inLoop ?? false
        if thread != nil, !onTheOwnLoop { _ = ownLoopWork.wait(timeout: .now() + .seconds(2)) }
        loopConnections.close()
        guard let thread else { return }
        // What still waits there fails there, as if overdue (`tick`); the loop runs until then, bounded should a
        // caller's task never run again.
        thread.loop.executeInLoop { [weak loop = thread.loop] in loop?.forEachSource { $0.tick(now: .max) } }
        if !onTheOwnLoop { _ = ownLoopWork.wait(timeout: .now() + .seconds(10)) }
        thread.stopAndJoin()
    }

    private func run<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let index = try await pool.checkOut()
        defer { pool.checkIn(index) }
        return try await workers[index].run(body)
    }
}
