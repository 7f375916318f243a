import Locking

/// Hands out the indices of a fixed set of connections, queueing callers while
/// all are busy. Shared by the SQLite readers and the PostgreSQL pool.
package final class CheckoutPool: Sendable {
    private struct State {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, any Error>] = []
        var isClosed = false
    }

    // The package's lock (see `PThreadMutex` for why not `Synchronization.Mutex`).
    private let state: PThreadMutex<State>
    /// What check-outs throw once the pool is closed: each store's own "connection closed" error.
    private let closedError: any Error & Sendable

    package init(count: Int, closedError: any Error & Sendable) {
        state = PThreadMutex(State(idle: Array(0..<count)))
        self.closedError = closedError
    }

    package func checkOut() async throws -> Int {
        // Most check-outs find a connection idle: they take it without suspending, which would cost a
        // trip through the executor. One is only idle while nobody waits (`checkIn`), so this is fair.
        if let index = try takeIdle() { return index }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = state.withLock { state in
                if state.isClosed { return .failure(closedError) }
                if let index = state.idle.popLast() { return .success(index) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready {
                continuation.resume(with: ready)
            }
        }
    }

    private func takeIdle() throws -> Int? {
        try state.withLock { state in
            if state.isClosed { throw closedError }
            return state.idle.popLast()
        }
    }

    /// Hands the connection straight to the longest waiter, so a steady stream of
    /// new callers cannot starve one that is already queued.
    package func checkIn(_ index: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }

    /// Fails every queued caller; later check-outs fail too.
    package func close() {
        let abandoned = state.withLock { state in
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in abandoned {
            waiter.resume(throwing: closedError)
        }
    }
}
