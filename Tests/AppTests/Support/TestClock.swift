import Foundation
import Synchronization

/// A clock tests can move, shared by the application under test (its `now`): a test that needs time to
/// pass (a session's idle limit, a token's expiry, a launch token's age) advances it instead of waiting.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}
