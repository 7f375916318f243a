import Foundation
import Locking

/// Tells open patient charts that their treatment plans changed. A signal carries no data: the
/// chart's stream reads what changed since its last event id from the database, so a signal may
/// be coalesced or missed without losing anything, and a slow or abandoned chart holds at most
/// one pending signal.
final class PlanUpdates: Sendable {
    struct Subscription: Sendable {
        let id: UUID
        let tenant: String
        let user: String
        let ehrPatientID: String
        let signals: AsyncStream<Void>
    }

    private struct Subscriber {
        let tenant: String
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
    func subscribe(user: EHRUser, ehrPatientID: String) -> Subscription? {
        let id = UUID()
        let (signals, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let accepted = subscribers.withLock { subscribers in
            guard subscribers.values.count(where: { $0.tenant == user.tenant && $0.user == user.id }) < perUserLimit else { return false }
            subscribers[id] = Subscriber(tenant: user.tenant, user: user.id, ehrPatientID: ehrPatientID, continuation: continuation)
            return true
        }
        guard accepted else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return Subscription(id: id, tenant: user.tenant, user: user.id, ehrPatientID: ehrPatientID, signals: signals)
    }

    func cancel(_ subscription: Subscription) {
        remove(subscription.id)?.continuation.finish()
    }

    /// The tenant's charts of these patients: the same EHR patient id in another tenant is another patient.
    /// Called by `ChartChanges` for what the database says changed, never by a write path itself.
    func publish(ehrPatientIDs: [String], in tenant: String) {
        guard !ehrPatientIDs.isEmpty else { return }
        let patients = Set(ehrPatientIDs)
        wake { $0.tenant == tenant && patients.contains($0.ehrPatientID) }
    }

    /// Every chart of `tenant`, or every chart open here when nil.
    func publishToEveryChart(in tenant: String? = nil) {
        wake { subscriber in tenant.map { subscriber.tenant == $0 } ?? true }
    }

    private func wake(_ chosen: (Subscriber) -> Bool) {
        let targets = subscribers.withLock { $0.values.filter(chosen).map(\.continuation) }
        for continuation in targets { continuation.yield() }
    }

    var openStreams: Int { subscribers.withLock { $0.count } }

    @discardableResult
    private func remove(_ id: UUID) -> Subscriber? {
        subscribers.withLock { $0.removeValue(forKey: id) }
    }
}
