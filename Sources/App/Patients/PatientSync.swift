import Foundation
import Fullscript
import Logging

/// Pushes the EHR's changes to linked patients to Fullscript (`PATCH /clinic/patients/{id}`), from the
/// `patient_sync` outbox, through a connected user of the patient's tenant.
///
/// One `DrainingLoop` drains the outbox: woken by each change, by a retry falling due, and by a slow sweep. Its
/// first pass at start takes whatever a previous run left pending, which is what makes a crash harmless.
/// Timeouts, 5xx and 429 are retried with backoff; any other refusal (a 4xx) settles the change as
/// failed with Fullscript's reason, which `GET /api/v1/patients/{id}` shows.
final class PatientSync: Sendable {
    private let outbox: PatientSyncStore
    private let patients: PatientStore
    private let vault: TokenVault
    private let clients: FullscriptClients
    private let settings: FullscriptSettings
    private let retry: WebhookProcessor.RetryPolicy
    private let sweepInterval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let loop: DrainingLoop

    init(outbox: PatientSyncStore, patients: PatientStore, vault: TokenVault, clients: FullscriptClients, settings: FullscriptSettings,
         retry: WebhookProcessor.RetryPolicy = .init(), sweepInterval: Duration = .seconds(60), logger: Logger,
         now: @escaping @Sendable () -> Date) {
        self.outbox = outbox
        self.patients = patients
        self.vault = vault
        self.clients = clients
        self.settings = settings
        self.retry = retry
        self.sweepInterval = sweepInterval
        self.logger = logger
        self.now = now
        loop = DrainingLoop(sweepInterval: sweepInterval)
    }

    func start() {
        loop.start(()) { [self] _ in
            let recorded = await pass()
            var delay = sweepInterval
            if let text = try? await outbox.nextDue(), let next = try? Date(text, strategy: Self.stamp) {
                delay = min(delay, .milliseconds(max(0, Int64(next.timeIntervalSince(now()) * 1000))))
            }
            // An outbox we cannot write to would otherwise be read again at once, and again.
            return recorded ? delay : max(delay, retry.firstDelay)
        }
    }

    /// A change is queued. Never blocks: the EHR's PUT must not wait on Fullscript.
    func signal() {
        loop.signal()
    }

    /// Someone of the tenant connected: what waited for a connection goes now.
    func connected(in tenant: String) async {
        do {
            try await outbox.release(waitingIn: tenant, at: now())
        } catch {
            logger.error("patient sync outbox unwritable", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
        }
        loop.signal()
    }

    func stop() async {
        await loop.stop()
    }

    /// Pushes what is due; false when the outbox could not be read or written.
    private func pass() async -> Bool {
        while !Task.isCancelled {
            let batch: [PatientSyncStore.Due]
            do {
                batch = try await outbox.due(at: now(), limit: 32)
            } catch {
                logger.error("patient sync outbox unreadable", metadata: ["error": "\(error)"])
                return false
            }
            guard !batch.isEmpty else { return true }
            for item in batch where !Task.isCancelled {
                // A change left due would be read again at once: wait for the timer or the sweep instead.
                guard await push(item) else { return false }
            }
        }
        return true
    }

    /// One change: pushed, postponed, or settled as failed; one log line, never patient details. False
    /// when the outbox could not record which.
    private func push(_ item: PatientSyncStore.Due) async -> Bool {
        var metadata: Logger.Metadata = ["tenant": "\(item.tenant)", "patient": "\(item.ehrPatientID)", "attempt": "\(item.attempts + 1)"]
        defer { logger.info("patient sync", metadata: metadata) }
        do {
            let problem: (any Error)?
            do {
                problem = try await send(item)
            } catch {
                // Not Fullscript's answer but ours (no app for the tenant's region, a busy database):
                // tried again like a passing failure, so the change is neither lost nor read again at once.
                problem = PatientSyncError.unsent(WebhookProcessor.describe(error))
            }
            if let problem {
                let reason = WebhookProcessor.describe(problem)
                metadata["error"] = "\(reason)"
                if case PatientSyncError.nobodyConnected = problem {
                    // Not a try: nobody could make one. It waits for a connection (`connected(in:)`) or the sweep.
                    try await outbox.postpone(item, error: reason, until: now().addingTimeInterval(sweepInterval.timeInterval),
                                              at: now(), waitingForConnection: true)
                    metadata["outcome"] = "waiting"
                } else if Self.isPassing(problem), item.attempts + 1 < retry.maxAttempts {
                    let delay = retry.delay(afterAttempts: item.attempts + 1)
                    try await outbox.postpone(item, error: reason, until: now().addingTimeInterval(delay.timeInterval), at: now(),
                                              waitingForConnection: false)
                    metadata["outcome"] = "retrying"
                } else {
                    try await outbox.settle(item, "failed", error: reason, at: now())
                    metadata["outcome"] = "failed"
                }
            } else {
                try await outbox.settle(item, "synced", error: nil, at: now())
                metadata["outcome"] = "synced"
            }
            return true
        } catch {
            metadata["error"] = "\(error)"
            metadata["outcome"] = "unrecorded"
            return false
        }
    }

    private static func isPassing(_ problem: any Error) -> Bool {
        if case PatientSyncError.unsent = problem { return true }
        return WebhookProcessor.isPassing(problem)
    }

    /// Sends the patient as stored now; returns the Fullscript failure that stopped it, if any.
    private func send(_ item: PatientSyncStore.Due) async throws -> (any Error)? {
        guard case .found(let patient) = try await patients.find(item.ehrPatientID, in: item.tenant),
              let fullscriptPatientID = patient.fullscriptPatientID else {
            return PatientSyncError.notLinked
        }
        if let email = patient.email, !settings.allowsPatientEmail(email) { return PatientSyncError.emailNotAllowed }
        let update = Self.update(from: patient)
        let client = try await clients.client(for: item.tenant)
        // A user whose token cannot be used now (refresh or the clinic check of an older connection failed)
        // is passed over for the next: only the update's own answer is the change's.
        var unusable: (any Error)?
        for user in try await vault.connectedUsers(in: item.tenant) {
            let connection: FullscriptConnection
            do {
                connection = try await vault.accessToken(for: user)
            } catch TokenVaultError.reconnectRequired {
                continue
            } catch {
                unusable = error
                continue
            }
            do {
                _ = try await vault.withFreshToken(connection) {
                    try await client.updatePatient(accessToken: $0, id: fullscriptPatientID, fields: update)
                }
                return nil
            } catch TokenVaultError.reconnectRequired {
                continue
            } catch {
                // Passing (retried) or a refusal (a 4xx): the change's answer, whoever sends it.
                return error
            }
        }
        return unusable.map { PatientSyncError.unsent(WebhookProcessor.describe($0)) } ?? PatientSyncError.nobodyConnected
    }


    /// How `Timestamp.iso8601` writes `due_at`.
    private static let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The EHR's patient as a Fullscript update: names and email are replaced when present (Fullscript
    /// cannot clear them); birth date, gender and mobile number are set or cleared.
    static func update(from patient: PatientRecord) -> PatientUpdate {
        func change(_ value: String?) -> PatientUpdate.Change { value.map { .set($0) } ?? .clear }
        return PatientUpdate(firstName: patient.firstName, lastName: patient.lastName, email: patient.email,
                             dateOfBirth: change(patient.dateOfBirth), gender: change(patient.gender), mobileNumber: change(patient.mobileNumber))
    }
}
