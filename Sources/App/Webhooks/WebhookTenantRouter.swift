import Fullscript
import Store

/// The one place that decides which tenant a webhook event belongs to, when it is stored: the tenant
/// whose pinned Fullscript clinic is the event's `clinic_id` (fullscript-api.md §7.5, "route by clinic_id").
///
/// An event of a clinic no tenant has pinned belongs to nobody: it is acknowledged (Fullscript would
/// otherwise retry, then disable the endpoint) and recorded as ignored, never guessed onto a tenant.
/// An event without `clinic_id` (an older payload) can only be placed when there is one tenant to
/// place it in; with several, it is ignored the same way.
struct WebhookTenantRouter: Sendable {
    let database: Database

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
            if let clinic = event.clinicID {
                let tenant = try connection.queryFirst("SELECT id FROM tenants WHERE fullscript_clinic_id = ?", [.text(clinic)])
                return try tenant.map { .to(try $0.string("id")) } ?? .unclaimed("no tenant is pinned to Fullscript clinic \(clinic)")
            }
            let tenants = try connection.query("SELECT id FROM tenants ORDER BY id LIMIT 2") { try $0.string("id") }
            return tenants.count == 1 ? .to(tenants[0]) : .unclaimed("no clinic_id, and several tenants it could belong to")
        }
    }
}
