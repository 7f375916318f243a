import Dispatch
import Locking
import Reactor

/// The brief connections (`PostgresLoopConnection`) of the event loops that run brief operations, `limit` in all
/// however many loops there are: each opened on the loop that first needs it, and kept there for the next. When all
/// are open, a loop without an idle one takes another loop's idle one (closing it and opening its own), or waits for
/// a check-in: its own loop's hands the connection over, another loop's (whose own callers do not wait) closes it and
/// leaves its place to the waiter. A connection found broken is closed at check-in, and its place goes the same way.
final class PostgresLoopConnections: Sendable {
    private typealias Waiter = CheckedContinuation<PostgresLoopConnection?, any Error>

    /// One loop's connections. Mutated in place in `State.pools`, so that its arrays are never copied.
    private struct Pool {
        var idle: [PostgresLoopConnection] = []
        /// Each resumed with a connection checked in, or with nil when a place is theirs to open one in.
        var waiters: [Waiter] = []
    }

    private struct State {
        var pools: [ObjectIdentifier: Pool] = [:]
        /// Idle, checked out, and being opened, on every loop.
        var open = 0
        var isClosed = false

        /// An idle connection of `key`'s, or leave to open one (counted already; maybe in place of `closing`, another
        /// loop's idle one), or `wait` (with `waiter` queued, when given).
        mutating func next(_ key: ObjectIdentifier, limit: Int, orWait waiter: Waiter?) -> Next {
            if let connection = pools[key, default: Pool()].idle.popLast() { return .use(connection) }
            if open < limit {
                open += 1
                return .open(closing: nil)
            }
            if let other = pools.first(where: { !$0.value.idle.isEmpty })?.key, let idle = pools[other]?.idle.popLast() {
                return .open(closing: idle)
            }
            if let waiter { pools[key, default: Pool()].waiters.append(waiter) }
            return .wait
        }

        /// Who gets a connection checked in on `key`'s loop, or its place: `key`'s first waiter, else another loop's
        /// (when the connection is then closed); nil when nobody waits, and then a usable connection is kept and a
        /// broken one's place freed.
        mutating func checkIn(_ connection: PostgresLoopConnection, usable: Bool, on key: ObjectIdentifier) -> (Waiter, sameLoop: Bool)? {
            if let waiter = firstWaiter(of: key) { return (waiter, true) }
            if let other = pools.first(where: { !$0.value.waiters.isEmpty })?.key, let waiter = firstWaiter(of: other) {
                return (waiter, false)
            }
            if usable { pools[key, default: Pool()].idle.append(connection) } else { open -= 1 }
            return nil
        }

        /// A place that was not filled (an open failed): the first waiter's to try, or free.
        mutating func release() -> Waiter? {
            if let other = pools.first(where: { !$0.value.waiters.isEmpty })?.key, let waiter = firstWaiter(of: other) {
                return waiter
            }
            open -= 1
            return nil
        }

        private mutating func firstWaiter(of key: ObjectIdentifier) -> Waiter? {
            guard pools[key]?.waiters.isEmpty == false else { return nil }
            return pools[key]?.waiters.removeFirst()
        }
    }

    private enum Next {
        case use(PostgresLoopConnection)
        case open(closing: PostgresLoopConnection?)
        case wait
    }

    let limit: Int
    private let connectionString: PostgresConnectionString
    private let statementTimeout: Duration
    private let statementCacheCapacity: Int
    private let state = PThreadMutex(State())
    let roundTrips = RoundTripCounter()

    init(limit: Int, connectionString: PostgresConnectionString, statementTimeout: Duration, statementCacheCapacity: Int) {
        precondition(limit >= 1, "brief operations need at least one connection")
        self.limit = limit
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

    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// How many connections the loops hold, for tests and diagnostics.
    var openCount: Int {
        state.withLock { $0.open }
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
        while true {
            let connection: PostgresLoopConnection
            switch try state.withLock({ try next(in: &$0, key, orWait: nil) }) {
            case .use(let idle):
                connection = idle
            case .open(let closing):
                return try await open(key, on: loop, closing: closing)
            case .wait:
                guard let handed = try await waitForConnection(key) else { return try await open(key, on: loop, closing: nil) }
                connection = handed
            }
            if connection.isQuiet { return connection }
            // The server ended its session while it sat idle: nothing was sent on it, and its place is free.
            connection.close()
            let waiter = state.withLock { state in state.isClosed ? nil : state.release() }
            waiter?.resume(returning: nil)
        }
    }

    /// A connection checked in on this loop, or nil when a place is the caller's to open one in.
    private func waitForConnection(_ key: ObjectIdentifier) async throws -> PostgresLoopConnection? {
        try await withCheckedThrowingContinuation { (continuation: Waiter) in
            let decided: Result<Next, any Error> = state.withLock { state in Result { try next(in: &state, key, orWait: continuation) } }
            switch decided {
            case .success(.use(let connection)): continuation.resume(returning: connection)
            case .success(.open(let closing)):
                closing?.close()
                continuation.resume(returning: nil)
            case .success(.wait): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    private func next(in state: inout State, _ key: ObjectIdentifier, orWait waiter: Waiter?) throws -> Next {
        if state.isClosed { throw Self.closedError }
        return state.next(key, limit: limit, orWait: waiter)
    }

    private func checkIn(_ connection: PostgresLoopConnection, _ key: ObjectIdentifier) {
        let usable = connection.isUsable
        let (closed, taker) = state.withLock { state in
            state.isClosed ? (true, nil) : (false, state.checkIn(connection, usable: usable, on: key))
        }
        let handedOver = !closed && usable && taker?.sameLoop == true
        if !handedOver, closed || !usable || taker != nil { connection.close() }
        // Another loop's waiter, or the waiter of a broken connection, opens one in its place.
        taker?.0.resume(returning: handedOver ? connection : nil)
    }

    /// Opens a connection off the loop (a connection's setup blocks for several round trips, or for as long as an
    /// unreachable server takes to refuse), then watches it on `loop`, where the caller resumes. Its place was counted
    /// by the caller.
    private func open(_ key: ObjectIdentifier, on loop: EventLoop, closing: PostgresLoopConnection?) async throws -> PostgresLoopConnection {
        // Another loop's idle connection, whose place this one takes.
        closing?.close()
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
            let waiter = state.withLock { state in state.isClosed ? nil : state.release() }
            waiter?.resume(returning: nil)
            throw error
        }
    }
}
