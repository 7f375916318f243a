import Foundation
import Fullscript
import Logging
import Store

/// Applies stored Fullscript events, one at a time, in the order they were received.
///
/// One task drains the inbox: woken by each stored event, by a retry falling due, and by a slow
/// sweep (which also finds events another process stored). Each event is applied under its claim
/// (`WebhookEventStore.whileClaimed`), so replicas reading the same inbox apply it once. Its first
/// pass at start takes every event a previous run left pending, which is what makes a crash between
/// storing and processing harmless. Applying is idempotent (the plan merge only moves forward by
/// `updated_at`, mappings are first-wins), so an event processed twice (a claim lost with a restarting
/// PostgreSQL, or by a `reconcile` beside a SQLite server) or out of order leaves the same result.
final class WebhookProcessor: Sendable {
    /// Fullscript being down, slow or throttling is worth waiting for; nothing else improves with time.
    struct RetryPolicy: Sendable {
        var maxAttempts = 5
        var firstDelay: Duration = .seconds(2)

        /// 2 s, 8 s, 32 s, 128 s by default: about three minutes before an event is given up.
        func delay(afterAttempts attempts: Int) -> Duration {
            firstDelay * (1 << (2 * min(max(attempts - 1, 0), 10)))
        }
    }

    enum Outcome: String, Sendable {
        /// A plan, order or lab order event merged (which may change nothing when we already knew as much).
        case applied
        /// A type we do not act on, recorded as it came.
        case ignored
        case failed
        /// A passing Fullscript failure; tried again after a delay.
        case retrying

        var metricOutcome: AppMetrics.WebhookOutcome {
            switch self {
            case .applied: .applied
            case .ignored: .ignored
            case .failed: .failed
            case .retrying: .retrying
            }
        }
    }

    struct Summary: Sendable, Equatable {
        var applied = 0
        var ignored = 0
        var failed = 0
    }

    static let planEventTypes: Set<String> = ["treatment_plan.created", "treatment_plan.updated", "treatment_plan.recommendation.updated"]

    let inbox: WebhookEventStore
    private let plans: TreatmentPlanStore
    private let orders: OrderStore
    private let patients: PatientStore
    private let vault: TokenVault
    private let clients: FullscriptClients
    /// Told when an event links a patient (`PatientMatcher.wakeOutbox`); a one-off command has no
    /// outbox running, and the server's next pass takes what it queued.
    private let wakeOutbox: @Sendable () -> Void
    private let source: TreatmentPlanStore.Source
    private let retry: RetryPolicy
    private let metrics: AppMetrics
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Looks at the inbox when an event is signalled, a retry falls due, or else every `sweepInterval`.
    private let loop: DrainingLoop

    private var matcher: PatientMatcher { PatientMatcher(clients: clients, vault: vault, patients: patients, wakeOutbox: wakeOutbox, now: now) }

    init(inbox: WebhookEventStore, plans: TreatmentPlanStore, orders: OrderStore, patients: PatientStore, vault: TokenVault, clients: FullscriptClients,
         wakeOutbox: @escaping @Sendable () -> Void = {}, source: TreatmentPlanStore.Source, retry: RetryPolicy = RetryPolicy(),
         sweepInterval: Duration = .seconds(60), metrics: AppMetrics, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.inbox = inbox
        self.wakeOutbox = wakeOutbox
        self.plans = plans
        self.orders = orders
        self.patients = patients
        self.vault = vault
        self.clients = clients
        self.source = source
        self.retry = retry
        loop = DrainingLoop(sweepInterval: sweepInterval)
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    /// Starts the draining task; its first pass takes whatever is already pending.
    func start() {
        loop.start([String: ContinuousClock.Instant]()) { [self] retryAt in
            await pass(&retryAt).1.map { .now < $0 ? $0 - .now : .zero }
        }
    }

    /// A new event is stored. Never blocks: the webhook's answer must not wait on processing.
    func signal() {
        loop.signal()
    }

    /// Ends the task after the event in hand; what is still pending waits for the next start.
    func stop() async {
        await loop.stop()
    }

    /// Processes everything pending now, waiting out retry delays, until nothing is left that may
    /// still succeed. For `reconcile`, which runs without the draining task.
    func drain() async -> Summary {
        var retryAt: [String: ContinuousClock.Instant] = [:]
        var total = Summary()
        while !Task.isCancelled {
            let (summary, nextRetry) = await pass(&retryAt)
            total.applied += summary.applied
            total.ignored += summary.ignored
            total.failed += summary.failed
            guard let nextRetry else { break }
            try? await Task.sleep(until: nextRetry)
        }
        return total
    }


    /// One walk through the pending events in received order, skipping those waiting for a retry.
    /// Returns what it settled and when the earliest retry falls due.
    private func pass(_ retryAt: inout [String: ContinuousClock.Instant]) async -> (Summary, ContinuousClock.Instant?) {
        var summary = Summary()
        var cursor: WebhookEventStore.Cursor?
        var stillPending: Set<String> = []
        while !Task.isCancelled {
            let batch: [WebhookEventStore.Pending]
            do {
                batch = try await inbox.pending(after: cursor, limit: 32)
            } catch {
                logger.error("webhook inbox unreadable", metadata: ["error": "\(error)"])
                break
            }
            guard let last = batch.last else { break }
            cursor = last.cursor
            for pending in batch where !Task.isCancelled {
                if let due = retryAt[pending.id], due > .now {
                    stillPending.insert(pending.id)
                    continue
                }
                let settled: (event: WebhookEventStore.Pending, outcome: Outcome)?
                do {
                    settled = try await inbox.whileClaimed(pending) { [self] event in
                        if event.tenant != pending.tenant {
                            logger.notice("webhook event rerouted", metadata: [
                                "event_id": "\(event.id)", "from": "\(pending.tenant ?? "-")", "to": "\(event.tenant ?? "-")",
                            ])
                        }
                        return (event, await process(event))
                    }
                } catch {
                    // Left pending: the next sweep tries it again.
                    logger.error("webhook event not claimed", metadata: ["event_id": "\(pending.id)", "error": "\(error)"])
                    continue
                }
                // Another replica is applying it, or has settled it.
                guard let (event, outcome) = settled else { continue }
                switch outcome {
                case .applied: summary.applied += 1
                case .ignored: summary.ignored += 1
                case .failed: summary.failed += 1
                case .retrying:
                    stillPending.insert(event.id)
                    retryAt[event.id] = .now + retry.delay(afterAttempts: event.attempts + 1)
                }
            }
        }
        // Settled here or by another process: nothing to remember, so the schedule stays small.
        retryAt = retryAt.filter { stillPending.contains($0.key) }
        return (summary, retryAt.values.min())
    }

    /// Applies one event and records how it ended, with one log line (never the body or a token).
    private func process(_ event: WebhookEventStore.Pending) async -> Outcome {
        let outcome: Outcome
        var problem: String?
        do {
            outcome = try await apply(event)
            problem = event.tenant == nil ? event.unclaimedBecause : nil
        } catch {
            problem = Self.describe(error)
            outcome = Self.isPassing(error) && event.attempts + 1 < retry.maxAttempts ? .retrying : .failed
        }
        do {
            switch outcome {
            case .applied: try await inbox.finish(event.id, .processed, error: nil, at: now())
            case .ignored: try await inbox.finish(event.id, .ignored, error: problem, at: now())
            case .failed: try await inbox.finish(event.id, .failed, error: problem, at: now())
            case .retrying: try await inbox.postpone(event.id, error: problem ?? "")
            }
        } catch {
            logger.error("webhook event not recorded", metadata: ["event_id": "\(event.id)", "error": "\(error)"])
        }
        var metadata: Logger.Metadata = ["event_id": "\(event.id)", "type": "\(event.type)", "outcome": "\(outcome.rawValue)",
                                         "attempt": "\(event.attempts + 1)"]
        if let problem { metadata["error"] = "\(problem)" }
        logger.info("webhook event", metadata: metadata)
        metrics.webhookEvent(type: event.type, outcome.metricOutcome)
        return outcome
    }

    private func apply(_ stored: WebhookEventStore.Pending) async throws -> Outcome {
        let event = try FullscriptEvent(webhookBody: stored.body)
        guard let tenant = stored.tenant else { return .ignored }
        let patientID: String?
        let practitionerID: String?
        // Each is stored first: if finding the patient fails, it is kept and shows up once a mapping exists.
        switch event.type {
        case let type where Self.planEventTypes.contains(type):
            let plan = try event.treatmentPlan()
            try await plans.merge(plan, in: tenant, source: source)
            (patientID, practitionerID) = (plan.patientID, plan.practitionerID)
        case "order.placed":
            let order = try event.order()
            try await orders.merge(order, in: tenant, source: source, learnedAt: now())
            (patientID, practitionerID) = (order.patientID, order.practitionerIDs.first)
        case "lab_order.updated":
            let labOrder = try event.labOrder()
            try await orders.merge(labOrder, in: tenant, source: source)
            (patientID, practitionerID) = (labOrder.patientID, nil)
        default:
            return .ignored
        }
        if let patientID, try await !patients.isMapped(fullscriptPatientID: patientID, in: tenant) {
            try await mapPatient(patientID, practitionerID: practitionerID, in: tenant)
        }
        return .applied
    }

    /// Links a Fullscript patient the tenant has not met to one of its EHR patients: Fullscript tells
    /// us the patient's email (asked with the plan practitioner's own connection when there is one,
    /// any other connected user's of the tenant otherwise), and `PatientMatcher.link` decides whom it is.
    /// Left unmapped when nobody connected can see the patient or no email matches. A passing Fullscript
    /// failure is thrown, so the event is tried again.
    private func mapPatient(_ fullscriptPatientID: String, practitionerID: String?, in tenant: String) async throws {
        let users = try await vault.connectedUsers(in: tenant, preferring: practitionerID)
        for user in users {
            let patient: Patient
            do {
                let connection = try await vault.accessToken(for: user)
                let client = try await clients.client(for: tenant)
                patient = try await vault.withFreshToken(connection) { try await client.patient(accessToken: $0, id: fullscriptPatientID) }
            } catch let error where !Self.isPassing(error) {
                // A dead connection, a missing scope, or a user of another clinic: the next user may do.
                logger.notice("fullscript patient lookup refused", metadata: [
                    "tenant": "\(tenant)", "user": "\(user.id)", "error": "\(Self.describe(error))",
                ])
                continue
            }
            try await matcher.link(patient, in: tenant)
            return
        }
        logger.notice("fullscript patient left unmapped", metadata: ["tenant": "\(tenant)", "fullscript_patient": "\(fullscriptPatientID)",
                                                                     "connected_users": "\(users.count)"])
    }

    static func isPassing(_ error: any Error) -> Bool {
        let fullscript: FullscriptError
        switch error {
        case let error as FullscriptError: fullscript = error
        case TokenVaultError.fullscript(let error): fullscript = error
        default: return false
        }
        switch fullscript.kind {
        case .unavailable, .timedOut, .rateLimited: return true
        default: return false
        }
    }

    /// Errors here describe themselves without bodies or tokens; this only unwraps the vault's.
    static func describe(_ error: any Error) -> String {
        if case TokenVaultError.fullscript(let error) = error { return error.description }
        return "\(error)"
    }
}
