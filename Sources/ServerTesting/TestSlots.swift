import Locking

/// Bounds how many servers and application harnesses run at once across the whole test run. Swift Testing
/// starts every test at the same moment; on a machine with two cores, a hundred servers with their databases
/// starting together leave each one so little CPU that the tests timing a server's 300 ms timeout see seconds
/// pass. A few at a time still keep every core busy. Waiting for a slot happens before a test's server exists,
/// so it never counts against anything the test measures. The body runs on `TestExecutor`'s threads, not on
/// Swift's cooperative pool.
public enum TestSlots {
    /// Servers and harnesses that may run side by side.
    public static let width = 8

    @TaskLocal private static var holding = false

    private struct State {
        var free = TestSlots.width
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private static let state = PThreadMutex(State())

    /// Runs `body` holding a slot, waiting for one first. Re-entrant: a test that holds one (a harness that
    /// starts a second harness inside) runs nested bodies on it.
    public static func run<Result>(_ body: () async throws -> Result) async throws -> Result {
        if holding { return try await body() }
        await acquire()
        defer { release() }
        return try await withTaskExecutorPreference(TestExecutor.shared) {
            try await $holding.withValue(true) { try await body() }
        }
    }

    private static func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private static func release() {
        let next = state.withLock { state in
            if state.waiting.isEmpty {
                state.free += 1
                return nil as CheckedContinuation<Void, Never>?
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
