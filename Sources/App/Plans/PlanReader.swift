/// Reads a patient's `PlanList` from our store, for the chart's list, its stream and the service API.
struct PlanReader: Sendable {
    let plans: TreatmentPlanStore
    let orders: OrderStore
    let describer: PlanDescriber

    /// As stored, without names: with `after`, only what changed since that change number.
    func stored(for ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> PlanList {
        async let storedPlans = plans.plans(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after)
        async let storedOrders = orders.orders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after)
        async let storedLabOrders = orders.labOrders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after)
        return PlanList(plans: try await storedPlans, orders: try await storedOrders, labOrders: try await storedLabOrders)
    }

    /// With the names the catalog and the clinic give (see `PlanDescriber`).
    func described(for ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> PlanList {
        await describer.describe(try await stored(for: ehrPatientID, in: tenant, changedAfter: after), in: tenant)
    }
}
