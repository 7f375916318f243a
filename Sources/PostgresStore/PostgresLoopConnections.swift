import Dispatch
import Locking
import Reactor

/// The brief connections (`PostgresLoopConnection`) of each event loop that runs brief operations: at most `perLoop`
/// on each, opened on the loop that first needs them and kept there, so that a process holds at most `perLoop` × its
/// loops, whatever the load. A caller beyond them waits for one of its loop's to be checked in, in turn. A connection
/// found broken, or found to have heard from the server while idle (`isQuiet`), is closed, and its place opened again.
final class PostgresLoopConnections: Sendable {
    private typealias Waiter = CheckedContinuation<PostgresLoopConnection?, any Error>

    /// One loop's connections. Mutated in place in `State.pools`, so that its arrays are never copied.
    private struct Pool {
        var idle: [PostgresLoopConnection] = []
        /// Idle, checked out, and being opened.
        var open = 0
        /// Each resumed with a connection checked in, or with nil when a place is theirs to open one in.
        var waiters: [Waiter] = []

        /// An idle connection, or leave to open one (counted already), or `wait` (with `waiter` queued, when given).
        mutating func next(limit: Int, orWait waiter: Waiter?) -> Next {
            if let connection = idle.popLast() { return .use(connection) }
            if open < limit {
                open += 1
                return .open
            }
            if let waiter { waiters.append(waiter) }
            return .wait
        }

        /// The first waiter, to whom a connection checked in (or, broken, its place) goes; nil when nobody waits,
        /// and then a usable connection is kept and a broken one's place freed.
        mutating func checkIn(_ connection: PostgresLoopConnection, usable: Bool) -> Waiter? {
            if !waiters.isEmpty { return waiters.removeFirst() }
            if usable { idle.append(connection) } else { open -= 1 }
            return nil
        }

        /// A place that was not filled (an open failed, an idle connection was given up): the first waiter's to
        /// try, or free.
        mutating func release() -> Waiter? {
            if !waiters.isEmpty { return waiters.removeFirst() }
            open -= 1
            return nil
        }
    }

    private struct State {
        var pools: [ObjectIdentifier: Pool] = [:]
        /// Connections being opened, which `close` fails at once: an open may take longer than the loop it was for
        /// has left to run.
        var opening: [OpenAttempt] = []
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
    let signals = PoolSignals()

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
        signals.close()
        let (idle, waiters, opening) = state.withLock { state in
            state.isClosed = true
            defer {
                state.pools = [:]
                state.opening = []
            }
            return (state.pools.values.flatMap(\.idle), state.pools.values.flatMap(\.waiters), state.opening)
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.resume(throwing: PostgresError.databaseClosed) }
        opening.forEach { $0.finish(.failure(PostgresError.databaseClosed)) }
    }

    private func checkOut(_ key: ObjectIdentifier, on loop: EventLoop) async throws -> PostgresLoopConnection {
        while true {
            let connection: PostgresLoopConnection
            switch try state.withLock({ try next(in: &$0, key, orWait: nil) }) {
            case .use(let idle):
                connection = idle
            case .open:
                return try await open(key, on: loop)
            case .wait:
                guard let handed = try await waitForConnection(key) else { return try await open(key, on: loop) }
                connection = handed
            }
            if connection.isQuiet { return connection }
            // The server ended its session while it sat idle: nothing was sent on it, and its place is free.
            connection.close()
            let waiter = state.withLock { state in state.isClosed ? nil : state.pools[key, default: Pool()].release() }
            waiter?.resume(returning: nil)
        }
    }

    /// A connection checked in on this loop, or nil when a place is the caller's to open one in.
    private func waitForConnection(_ key: ObjectIdentifier) async throws -> PostgresLoopConnection? {
        try await withCheckedThrowingContinuation { (continuation: Waiter) in
            let decided: Result<Next, any Error> = state.withLock { state in Result { try next(in: &state, key, orWait: continuation) } }
            switch decided {
            case .success(.use(let connection)): continuation.resume(returning: connection)
            case .success(.open):
                continuation.resume(returning: nil)
            case .success(.wait): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    private func next(in state: inout State, _ key: ObjectIdentifier, orWait waiter: Waiter?) throws -> Next {
        if state.isClosed { throw PostgresError.databaseClosed }
        return state.pools[key, default: Pool()].next(limit: perLoop, orWait: waiter)
    }

    private func checkIn(_ connection: PostgresLoopConnection, _ key: ObjectIdentifier) {
        let usable = connection.isUsable
        let (closed, waiter) = state.withLock { state in
            state.isClosed ? (true, nil) : (false, state.pools[key, default: Pool()].checkIn(connection, usable: usable))
        }
        let handedOver = usable && !closed
        if !handedOver { connection.close() }
        // A broken connection's waiter opens one in its place.
        waiter?.resume(returning: handedOver ? connection : nil)
    }

    /// Opens a connection off the loop (a connection's setup blocks for several round trips, or for as long as an
    /// unreachable server takes to refuse), then watches it on `loop`, where the caller resumes. Its place was counted
    /// by the caller.
    private func open(_ key: ObjectIdentifier, on loop: EventLoop) async throws -> PostgresLoopConnection {
        let connectionString = connectionString
        let statementTimeout = statementTimeout
        let statementCacheCapacity = statementCacheCapacity
        let signals = signals
        do {
            let attempt = OpenAttempt()
            let connection: PostgresLoopConnection = try await withCheckedThrowingContinuation { continuation in
                attempt.start(continuation)
                let counted = state.withLock { state in
                    if !state.isClosed { state.opening.append(attempt) }
                    return !state.isClosed
                }
                guard counted else {
                    attempt.finish(.failure(PostgresError.databaseClosed))
                    return
                }
                DispatchQueue.global().async {
                    attempt.finish(Result {
                        try PostgresLoopConnection(
                            taking: PostgresConnection(connectionString: connectionString, statementTimeout: statementTimeout),
                            statementCacheCapacity: statementCacheCapacity,
                            pool: signals
                        )
                    })
                }
            }
            state.withLock { state in state.opening.removeAll { $0 === attempt } }
            guard !signals.isClosed else {
                connection.close()
                throw PostgresError.databaseClosed
            }
            try connection.attach(to: loop)
            return connection
        } catch {
            // The place is free again: the first waiter tries in its turn.
            let waiter = state.withLock { state in state.isClosed ? nil : state.pools[key, default: Pool()].release() }
            waiter?.resume(returning: nil)
            throw error
        }
    }
}

/// One connection being opened off the loop, whose caller is resumed once: by the open, or by `close` first, in which
/// case the open's connection, when it comes, is closed.
private final class OpenAttempt: Sendable {
    private let continuation = PThreadMutex<CheckedContinuation<PostgresLoopConnection, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<PostgresLoopConnection, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func finish(_ result: Result<PostgresLoopConnection, any Error>) {
        guard let waiting = continuation.withLock({ $0.take() }) else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        waiting.resume(with: result)
    }
}
