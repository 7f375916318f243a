import Foundation
import Synchronization

/// A clock tests can move, shared by the application under test (its `now`): a test that needs time to
/// pass (a session's idle limit, a token's expiry, a launch token's age) advances it instead of waiting. It
/// runs on in real time unless frozen: a test whose assertion sits a second from a limit freezes it, so a
/// machine busy with other tests can't carry it over the limit.
final class TestClock: Sendable {
    private struct State {
        var offset: TimeInterval = 0
        var frozen: Date?
    }

    private let state = Mutex(State())

    func now() -> Date {
        state.withLock { $0.frozen ?? Date().addingTimeInterval($0.offset) }
    }

    func advance(by seconds: TimeInterval) {
        state.withLock { state in
            if let frozen = state.frozen {
                state.frozen = frozen.addingTimeInterval(seconds)
            } else {
                state.offset += seconds
            }
        }
    }

    /// Stops the clock at `date` (now, unless given); `advance(by:)` still moves it.
    func freeze(at date: Date? = nil) {
        let date = date ?? now()
        state.withLock { $0.frozen = date }
    }
}
