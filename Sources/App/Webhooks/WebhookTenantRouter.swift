import Fullscript
import Store

/// The one place that decides which tenant a webhook event belongs to, when it is stored and again as it is
/// applied (`reroute`): the tenant whose pinned Fullscript clinic is the event's `clinic_id`
/// (fullscript-api.md §7.5, "route by clinic_id").
///
/// An event of a clinic no tenant has pinned belongs to nobody: it is acknowledged (Fullscript would
/// otherwise retry, then disable the endpoint) and recorded as ignored, never guessed onto a tenant;
/// pinning that clinic later hands it to the tenant (`TenantStore`). Two cases have only one place to go:
/// an event without `clinic_id` (an older payload) when there is one tenant, and any event while the only
/// tenant is not pinned yet (a single-practice deployment upgraded in place keeps its webhooks).
struct WebhookTenantRouter: Sendable {
    let database: any SQLDatabase

    struct Route: Sendable, Equatable {
        /// nil: no tenant claims the event.
        let tenant: String?
        /// Why no tenant claims it, recorded with the ignored event.
        let unclaimedBecause: String?

        static func to(_ tenant: String) -> Route { Route(tenant: tenant, unclaimedBecause: nil) }
        static func unclaimed(_ reason: String) -> Route { Route(tenant: nil, unclaimedBecause: reason) }
    }

    func route(_ event: FullscriptEvent) async throws -> Route {
        try await database.read { connection in
            if let clinic = event.clinicID,
               let tenant = try connection.queryFirst("SELECT id FROM tenants WHERE fullscript_clinic_id = ?", [.text(clinic)]) {
                return .to(try tenant.string("id"))
            }
            let tenants = try connection.query("SELECT id, fullscript_clinic_id FROM tenants ORDER BY id LIMIT 2") {
                (id: try $0.string("id"), pinned: try $0.optionalString("fullscript_clinic_id") != nil)
            }
            guard let clinic = event.clinicID else {
                return tenants.count == 1 ? .to(tenants[0].id) : .unclaimed("no clinic_id, and several tenants it could belong to")
            }
            return tenants.count == 1 && !tenants[0].pinned ? .to(tenants[0].id) : .unclaimed(Self.noTenantPinned(clinic))
        }
    }

    /// The tenant a stored event belongs to now, asked again as it is about to be applied: a pin since it
    /// was routed (or between routing and storing it) may have settled whose it is. An event of a clinic
    /// another tenant has pinned goes to that tenant; one held by a tenant pinned to another clinic goes to
    /// none. nil: it stays where it is, as an event without `clinic_id`, or one taken while the only tenant
    /// was unpinned, does until a pin says otherwise.
    static func reroute(storedTenant: String?, clinic: String?, in connection: any SQLConnection) throws -> Route? {
        guard let clinic else { return nil }
        if let holder = try connection.queryFirst("SELECT id FROM tenants WHERE fullscript_clinic_id = ?", [.text(clinic)]) {
            let tenant = try holder.string("id")
            return tenant == storedTenant ? nil : .to(tenant)
        }
        guard let storedTenant, try connection.queryFirst(
            "SELECT 1 FROM tenants WHERE id = ? AND fullscript_clinic_id IS NOT NULL", [.text(storedTenant)]
        ) != nil else { return nil }
        return .unclaimed(noTenantPinned(clinic))
    }

    private static func noTenantPinned(_ clinic: String) -> String {
        "no tenant is pinned to Fullscript clinic \(clinic)"
    }
}
