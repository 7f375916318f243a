/// One operation per key at a time: callers that arrive while it runs await its result instead of
/// starting their own. Nothing is kept once it ends: the next caller with that key starts afresh.
///
/// The first caller runs the operation itself, on its own executor (a request's event loop), rather
/// than in a task of its own on the shared pool: no hop, and no wait for a pool thread that may all be busy.
public final class SingleFlight<Value: Sendable>: Sendable {
    private typealias Follower = CheckedContinuation<Value?, any Error>
    /// Keys with an operation under way, and who waits for it.
    private let flights = PThreadMutex<[String: [Follower]]>([:])

    public init() {}

    public func run(_ key: String, _ operation: () async throws -> Value) async throws -> Value {
        // nil: nothing was running for this key, this caller leads; otherwise the leader's result.
        let joined = try await withCheckedThrowingContinuation { (continuation: Follower) in
            let leads = flights.withLock { flights in
                guard flights[key] != nil else {
                    flights[key] = []
                    return true
                }
                flights[key]?.append(continuation)
                return false
            }
            if leads { continuation.resume(returning: nil) }
        }
        if let joined { return joined }
        let result: Result<Value, any Error>
        do {
            result = .success(try await operation())
        } catch {
            result = .failure(error)
        }
        let followers = flights.withLock { $0.removeValue(forKey: key) } ?? []
        for follower in followers {
            follower.resume(with: result.map(Optional.some))
        }
        return try result.get()
    }
}
