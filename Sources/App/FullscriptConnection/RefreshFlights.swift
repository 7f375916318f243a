import Foundation
import Fullscript
import Locking
import Logging
import Store

/// One refresh per user at a time: concurrent callers await the refresh already under way. The first
/// caller runs it in its own task, on its own executor (a click's event loop), rather than in a task
/// of its own on the shared pool: no hop, and no wait for a pool thread that may all be busy.
final class RefreshFlights: Sendable {
    private typealias Follower = CheckedContinuation<FullscriptConnection?, any Error>
    /// Users with a refresh under way, and who waits for it.
    private let flights = PThreadMutex<[String: [Follower]]>([:])

    func run(_ user: String, _ operation: () async throws -> FullscriptConnection) async throws -> FullscriptConnection {
        // nil: nobody was refreshing, this caller leads; otherwise the leader's result.
        let joined = try await withCheckedThrowingContinuation { (continuation: Follower) in
            let leads = flights.withLock { flights in
                guard flights[user] != nil else {
                    flights[user] = []
                    return true
                }
                flights[user]?.append(continuation)
                return false
            }
            if leads { continuation.resume(returning: nil) }
        }
        if let joined { return joined }
        let result: Result<FullscriptConnection, any Error>
        do {
            result = .success(try await operation())
        } catch {
            result = .failure(error)
        }
        let followers = flights.withLock { $0.removeValue(forKey: user) } ?? []
        for follower in followers {
            follower.resume(with: result.map(Optional.some))
        }
        return try result.get()
    }
}
