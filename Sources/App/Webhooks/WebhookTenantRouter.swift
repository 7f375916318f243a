import Fullscript
import Store

/// The one place that decides which tenant a webhook event belongs to, when it is stored.
///
/// Until tenants pin their Fullscript clinic, an event goes to the only tenant there is, else to
/// `default`: the single-practice deployment of before. Routing by the event's `clinic_id` to the
/// tenant whose `fullscript_clinic_id` it is (and nil, "ignored", for a clinic nobody pinned) replaces
/// this rule here and nowhere else.
struct WebhookTenantRouter: Sendable {
    let database: Database

    /// The event's tenant; nil means no tenant claims it.
    func tenant(for event: FullscriptEvent) async throws -> String? {
        let tenants = try await database.read { connection in
            try connection.query("SELECT id FROM tenants ORDER BY id LIMIT 2") { try $0.string("id") }
        }
        return tenants.count == 1 ? tenants[0] : Tenant.defaultID
    }
}
