import Locking

/// Holds handlers until the test lets them go, so a test waits for the event it is about (a handler has
/// started, a caller gave up) instead of sleeping for long enough. `arrivals` counts the handlers that
/// reached the gate; once open, it stays open.
public final class TestGate: Sendable {
    private struct State {
        var isOpen = false
        var arrivals = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = PThreadMutex(State())

    public init() {}

    /// Returns once the gate is open.
    public func pass() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                state.arrivals += 1
                if state.isOpen { return true }
                state.waiting.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    public var arrivals: Int { state.withLock { $0.arrivals } }

    public func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits (off the wall clock's say-so: it polls only for the count) until `count` handlers have arrived,
    /// for at most `limit`; false when they did not.
    public func waitForArrivals(_ count: Int, within limit: Duration = .seconds(10)) async -> Bool {
        await eventually(within: limit) { arrivals >= count }
    }
}

/// Polls `condition` until it holds or `limit` passes: for events a test can see but not subscribe to
/// (a row written, a connection closed by a timer). Never a way to show that something did not happen.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now + limit
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
