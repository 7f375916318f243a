import Reactor
/// How often and how patiently idempotent requests are retried: exponential backoff with full
/// jitter, so that clients which failed together don't come back together.
public struct RetryPolicy: Sendable {
    /// Attempts in total, the first one included.
    public var maxAttempts: Int = 3
    public var baseDelay: Duration = .milliseconds(100)
    public var maxDelay: Duration = .seconds(2)

    public init() {}

    /// A random wait in [0, min(maxDelay, baseDelay · 2^(failures − 1))].
    func delay(afterFailures failures: Int) -> Duration {
        let ceiling = min(maxDelay.nanoseconds, baseDelay.nanoseconds << UInt64(min(max(failures - 1, 0), 20)))
        return .nanoseconds(Int64(UInt64.random(in: 0...ceiling)))
    }
}
