import Dispatch
import Locking
import Reactor

/// The brief connections (`PostgresLoopConnection`) of each event loop that ran a brief operation: at most `perLoop`
/// on each, opened when first needed, kept for the next. A caller beyond that waits for one of its loop's to be
/// checked in. A connection found broken is closed at check-in, and the next caller opens another.
final class PostgresLoopConnections: Sendable {
    private struct Pool {
        var idle: [PostgresLoopConnection] = []
        /// Idle, checked out, and being opened.
        var open = 0
        /// Each resumed with a connection checked in, or with nil when a broken one's place is theirs to open.
        var waiters: [CheckedContinuation<PostgresLoopConnection?, any Error>] = []
    }

    private struct State {
        var pools: [ObjectIdentifier: Pool] = [:]
        var isClosed = false
    }

    private enum Next {
        case use(PostgresLoopConnection)
        case open
        case wait
    }

    let perLoop: Int
    private let connectionString: PostgresConnectionString
    private let statementTimeout: Duration
    private let statementCacheCapacity: Int
    private let state = PThreadMutex(State())
    let roundTrips = RoundTripCounter()

    init(perLoop: Int, connectionString: PostgresConnectionString, statementTimeout: Duration, statementCacheCapacity: Int) {
        precondition(perLoop >= 1, "each loop needs at least one connection")
        self.perLoop = perLoop
        self.connectionString = connectionString
        self.statementTimeout = statementTimeout
        self.statementCacheCapacity = statementCacheCapacity
    }

    /// Runs `body` with a connection of `loop`. The caller runs on `loop`.
    func withConnection<T>(on loop: EventLoop, _ body: (PostgresLoopConnection) async throws -> T) async throws -> T {
        loop.assertInEventLoop()
        let key = ObjectIdentifier(loop)
        let connection = try await checkOut(key, on: loop)
        defer { checkIn(connection, key) }
        return try await body(connection)
    }

    /// How many connections the loops hold, for tests and diagnostics.
    var openCount: Int {
        state.withLock { $0.pools.values.reduce(0) { $0 + $1.open } }
    }

    /// Closes the idle connections and fails the waiting callers; each connection checked out is closed when it is
    /// checked in, and later check-outs fail.
    func close() {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            defer { state.pools = [:] }
            return (state.pools.values.flatMap(\.idle), state.pools.values.flatMap(\.waiters))
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.resume(throwing: Self.closedError) }
    }

    private static let closedError = PostgresError(kind: .closed, sqlState: nil, message: "the database is closed", sql: nil)

    private func checkOut(_ key: ObjectIdentifier, on loop: EventLoop) async throws -> PostgresLoopConnection {
        switch try state.withLock({ try next(in: &$0, key, orWait: nil) }) {
        case .use(let connection): return connection
        case .open: return try await open(key, on: loop)
        case .wait: break
        }
        let handed = try await withCheckedThrowingContinuation { continuation in
            let decided: Result<Next, any Error> = state.withLock { state in Result { try next(in: &state, key, orWait: continuation) } }
            switch decided {
            case .success(.use(let connection)): continuation.resume(returning: connection)
            case .success(.open): continuation.resume(returning: nil)
            case .success(.wait): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
        if let handed { return handed }
        return try await open(key, on: loop)
    }

    /// An idle connection, or leave to open one (counted already), or `wait` (with `waiter` queued, when given).
    private func next(
        in state: inout State, _ key: ObjectIdentifier, orWait waiter: CheckedContinuation<PostgresLoopConnection?, any Error>?
    ) throws -> Next {
        if state.isClosed { throw Self.closedError }
        var pool = state.pools[key, default: Pool()]
        defer { state.pools[key] = pool }
        while let connection = pool.idle.popLast() {
            if connection.isUsable { return .use(connection) }
            pool.open -= 1
        }
        if pool.open < perLoop {
            pool.open += 1
            return .open
        }
        if let waiter { pool.waiters.append(waiter) }
        return .wait
    }

    private func checkIn(_ connection: PostgresLoopConnection, _ key: ObjectIdentifier) {
        enum Outcome {
            case kept
            case dropped
            /// To the first waiter: the connection, or nil for a broken one, whose place the waiter fills.
            case handed(CheckedContinuation<PostgresLoopConnection?, any Error>, PostgresLoopConnection?)
        }
        let usable = connection.isUsable
        let outcome = state.withLock { state -> Outcome in
            guard !state.isClosed, var pool = state.pools[key] else { return .dropped }
            defer { state.pools[key] = pool }
            if !pool.waiters.isEmpty { return .handed(pool.waiters.removeFirst(), usable ? connection : nil) }
            if usable {
                pool.idle.append(connection)
                return .kept
            }
            pool.open -= 1
            return .dropped
        }
        switch outcome {
        case .kept:
            break
        case .dropped:
            connection.close()
        case .handed(let waiter, let handed):
            if handed == nil { connection.close() }
            waiter.resume(returning: handed)
        }
    }

    /// Opens a connection off the loop (a connection's setup blocks for several round trips, or for as long as an
    /// unreachable server takes to refuse), then watches it on `loop`, where the caller resumes. Its place was counted
    /// by the caller.
    private func open(_ key: ObjectIdentifier, on loop: EventLoop) async throws -> PostgresLoopConnection {
        let connectionString = connectionString
        let statementTimeout = statementTimeout
        let statementCacheCapacity = statementCacheCapacity
        let roundTrips = roundTrips
        do {
            let connection: PostgresLoopConnection = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result {
                        try PostgresLoopConnection(
                            taking: PostgresConnection(connectionString: connectionString, statementTimeout: statementTimeout),
                            statementCacheCapacity: statementCacheCapacity,
                            counter: roundTrips
                        )
                    })
                }
            }
            try connection.attach(to: loop)
            return connection
        } catch {
            // The place is free again: the first waiter tries in its turn.
            let waiter = state.withLock { state -> CheckedContinuation<PostgresLoopConnection?, any Error>? in
                guard var pool = state.pools[key] else { return nil }
                defer { state.pools[key] = pool }
                if pool.waiters.isEmpty {
                    pool.open -= 1
                    return nil
                }
                return pool.waiters.removeFirst()
            }
            waiter?.resume(returning: nil)
            throw error
        }
    }
}
