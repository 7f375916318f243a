import Foundation
import Fullscript

/// The REST fallback, for when webhooks cannot reach us: Fullscript's plans, orders and lab orders for
/// one patient, read and merged into the same tables webhooks write, so both paths meet in one merge
/// statement each (newest `updated_at` wins, one row per plan, order or lab order) however they interleave.
struct PlanRefresh: Sendable {
    let clients: FullscriptClients
    let vault: TokenVault
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let orders: OrderStore
    /// Told when a refresh links the patient (`PatientMatcher.wakeOutbox`).
    let wakeOutbox: @Sendable () -> Void
    let now: @Sendable () -> Date

    private var matcher: PatientMatcher { PatientMatcher(clients: clients, vault: vault, patients: patients, wakeOutbox: wakeOutbox, now: now) }

    /// Plan details fetched at once: fast enough for a chart, gentle on Fullscript's rate limit.
    static let concurrentFetches = 4

    /// Reads the patient's plans, then orders and lab orders, through `connection`, merges what is newer
    /// than ours and tells open charts. A failure reading plans is thrown; a failure reading orders is
    /// not (the plans refreshed are kept and shown): it is returned, described without bodies or tokens.
    func refresh(_ patient: PatientRecord, through connection: FullscriptConnection) async throws -> String? {
        guard let fullscriptPatientID = try await matcher.fullscriptPatient(of: patient, through: connection).fullscriptPatientID else {
            return nil
        }
        let client = try await clients.client(for: connection.user.tenant)
        let listed = try await vault.withFreshToken(connection) {
            try await client.treatmentPlans(accessToken: $0, patientID: fullscriptPatientID)
        }
        // Details only for plans the list shows newer than ours: an unchanged plan costs no call.
        let tenant = connection.user.tenant
        let stored = try await plans.plans(forEHRPatient: patient.ehrPatientID, in: tenant)
        let storedUpdates = Dictionary(stored.map { ($0.id, $0.updatedAt) }, uniquingKeysWith: max)
        let stale = listed.filter { plan in storedUpdates[plan.id].map { Timestamp.iso8601(plan.updatedAt) > $0 } ?? true }
        for var plan in try await details(of: stale.map(\.id), through: connection) {
            // The REST key for a plan's patient is unconfirmed; we know whose list it came from.
            plan.patientID = plan.patientID ?? fullscriptPatientID
            try await plans.merge(plan, in: tenant, source: .refresh)
        }
        do {
            try await refreshOrders(of: fullscriptPatientID, through: connection)
        } catch {
            return WebhookProcessor.describe(error)
        }
        return nil
    }

    /// Orders, and lab orders where Fullscript offers labs.
    private func refreshOrders(of fullscriptPatientID: String, through connection: FullscriptConnection) async throws {
        let tenant = connection.user.tenant
        let client = try await clients.client(for: tenant)
        let placed = try await vault.withFreshToken(connection) { try await client.orders(accessToken: $0, patientID: fullscriptPatientID) }
        for var order in placed {
            order.patientID = order.patientID ?? fullscriptPatientID
            try await orders.merge(order, in: tenant, source: .refresh, learnedAt: now())
        }
        guard try await clients.regions.offersLabs(in: tenant) else { return }
        let labOrders = try await vault.withFreshToken(connection) { try await client.labOrders(accessToken: $0, patientID: fullscriptPatientID) }
        for var labOrder in labOrders {
            labOrder.patientID = labOrder.patientID ?? fullscriptPatientID
            try await orders.merge(labOrder, in: tenant, source: .refresh)
        }
    }

    /// Each plan's details, a few at a time; a plan deleted since the list was read is skipped.
    private func details(of ids: [String], through connection: FullscriptConnection) async throws -> [TreatmentPlan] {
        let client = try await clients.client(for: connection.user.tenant)
        return try await withThrowingTaskGroup(of: TreatmentPlan?.self) { group in
            var waiting = ids[...]
            var fetched: [TreatmentPlan] = []
            func start(_ id: String) {
                group.addTask {
                    do {
                        return try await vault.withFreshToken(connection) { try await client.treatmentPlan(accessToken: $0, id: id) }
                    } catch let error as FullscriptError where error.kind == .notFound {
                        return nil
                    }
                }
            }
            for id in waiting.prefix(Self.concurrentFetches) { start(id) }
            waiting = waiting.dropFirst(Self.concurrentFetches)
            while let plan = try await group.next() {
                if let plan { fetched.append(plan) }
                if let id = waiting.popFirst() { start(id) }
            }
            return fetched
        }
    }
}
