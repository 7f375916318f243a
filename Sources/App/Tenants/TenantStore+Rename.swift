import Foundation
import Store

extension TenantStore {
    /// Gives `tenant` the display name `name`; returns whether it changed (an audit row says so).
    /// The migration named the upgraded deployment's tenant "Default practice"; the demo names its own.
    @discardableResult
    func rename(_ tenant: String, to name: String, actor: String) async throws -> Bool {
        guard Tenant.isValidName(name) else { throw TenantError.invalidName }
        let date = now()
        return try await database.write { connection in
            guard let row = try connection.queryFirst("SELECT name FROM tenants WHERE id = ?", [.text(tenant)]) else {
                throw TenantError.unknown(tenant)
            }
            let previous = try row.string("name")
            guard previous != name else { return false }
            try connection.execute("UPDATE tenants SET name = ? WHERE id = ?", [.text(name), .text(tenant)])
            try AuditEntry(tenant: tenant, actor: actor, action: "tenant.rename", subject: tenant, outcome: "renamed",
                           detail: "\(previous) to \(name)").insert(into: connection, at: date)
            return true
        }
    }
}
