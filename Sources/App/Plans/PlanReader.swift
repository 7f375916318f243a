import Store

/// Reads a patient's `PlanList` from our store, for the chart's list, its stream and the service API.
struct PlanReader: Sendable {
    let database: any SQLDatabase
    let describer: PlanDescriber

    /// As stored, without names: with `after`, only what changed since that change number. The three
    /// in one snapshot: the stream moves its cursor to the newest number read, and a plan committed
    /// between separate reads of plans and of a newer lab order would fall below it, never sent.
    func stored(for ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> PlanList {
        try await database.read { connection in
            PlanList(
                plans: try TreatmentPlanStore.plans(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: connection),
                orders: try OrderStore.orders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: connection),
                labOrders: try OrderStore.labOrders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: connection)
            )
        }
    }

    /// With the names the catalog and the clinic give (see `PlanDescriber`).
    func described(for ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> PlanList {
        await describer.describe(try await stored(for: ehrPatientID, in: tenant, changedAfter: after), in: tenant)
    }
}
