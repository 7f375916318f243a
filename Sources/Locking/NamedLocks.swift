/// Mutual exclusion per name within this process: one holder of a name at a time, the others waiting
/// in arrival order. Holding a name costs an entry in a table; nothing is kept once nobody holds it.
public final class NamedLocks: Sendable {
    private typealias Waiter = CheckedContinuation<Void, Never>
    /// Names held, and who waits for each.
    private let held = PThreadMutex<[String: [Waiter]]>([:])

    public init() {}

    /// Runs `body` holding `name`, after whoever holds it or waits for it already.
    public func withLock<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (waiter: Waiter) in
            let acquired = held.withLock { held in
                guard held[name] != nil else {
                    held[name] = []
                    return true
                }
                held[name]?.append(waiter)
                return false
            }
            if acquired { waiter.resume() }
        }
        return try await holding(name, body)
    }

    /// Runs `body` holding `name` when nobody holds it; nil, without running it, otherwise.
    public func withLockIfAvailable<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T? {
        let acquired = held.withLock { held in
            guard held[name] == nil else { return false }
            held[name] = []
            return true
        }
        guard acquired else { return nil }
        return try await holding(name, body)
    }

    private func holding<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        do {
            let result = try await body()
            release(name)
            return result
        } catch {
            release(name)
            throw error
        }
    }

    /// Hands `name` straight to its longest waiter, so a stream of newcomers cannot starve it.
    private func release(_ name: String) {
        let next = held.withLock { held -> Waiter? in
            guard var waiters = held[name], !waiters.isEmpty else {
                held[name] = nil
                return nil
            }
            let first = waiters.removeFirst()
            held[name] = waiters
            return first
        }
        next?.resume()
    }
}
