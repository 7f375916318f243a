import Foundation
import Locking

/// Tells open patient charts that their treatment plans changed. A signal carries no data: the
/// chart's stream reads what changed since its last event id from the database, so a signal may
/// be coalesced or missed without losing anything, and a slow or abandoned chart holds at most
/// one pending signal.
final class PlanUpdates: Sendable {
    struct Subscription: Sendable {
        let id: UUID
        let user: String
        let ehrPatientID: String
        let signals: AsyncStream<Void>
    }

    private struct Subscriber {
        let user: String
        let ehrPatientID: String
        let continuation: AsyncStream<Void>.Continuation
    }

    private let subscribers = PThreadMutex<[UUID: Subscriber]>([:])
    /// Streams one user may hold open at once (tabs, windows); more are refused.
    let perUserLimit: Int

    init(perUserLimit: Int = 8) {
        self.perUserLimit = perUserLimit
    }

    /// nil when `user` already holds `perUserLimit` streams. The subscription ends when its stream
    /// is dropped or `cancel` is called, whichever comes first.
    func subscribe(user: String, ehrPatientID: String) -> Subscription? {
        let id = UUID()
        let (signals, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let accepted = subscribers.withLock { subscribers in
            guard subscribers.values.count(where: { $0.user == user }) < perUserLimit else { return false }
            subscribers[id] = Subscriber(user: user, ehrPatientID: ehrPatientID, continuation: continuation)
            return true
        }
        guard accepted else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return Subscription(id: id, user: user, ehrPatientID: ehrPatientID, signals: signals)
    }

    func cancel(_ subscription: Subscription) {
        remove(subscription.id)?.continuation.finish()
    }

    func publish(ehrPatientIDs: [String]) {
        guard !ehrPatientIDs.isEmpty else { return }
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter { ehrPatientIDs.contains($0.ehrPatientID) }.map(\.continuation)
        }
        for continuation in targets { continuation.yield() }
    }

    var openStreams: Int { subscribers.withLock { $0.count } }

    @discardableResult
    private func remove(_ id: UUID) -> Subscriber? {
        subscribers.withLock { $0.removeValue(forKey: id) }
    }
}
