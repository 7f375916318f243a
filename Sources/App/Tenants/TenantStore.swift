import Foundation
import Fullscript
import Store

/// The practices this deployment serves (`tenants`).
struct TenantStore: Sendable {
    let database: Database
    var now: @Sendable () -> Date = Date.init

    func create(id: String, name: String, region: FullscriptRegion) async throws -> Tenant {
        guard Tenant.isValidID(id) else { throw TenantError.invalidID(id) }
        guard Tenant.isValidName(name) else { throw TenantError.invalidName }
        let date = now()
        let stamp = Timestamp.iso8601(date)
        try await database.write { connection in
            guard try connection.queryFirst("SELECT 1 FROM tenants WHERE id = ?", [.text(id)]) == nil else {
                throw TenantError.idTaken(id)
            }
            try connection.execute("INSERT INTO tenants (id, name, region, created_at) VALUES (?, ?, ?, ?)",
                                   [.text(id), .text(name), .text(region.rawValue), .text(stamp)])
            try AuditEntry(tenant: id, actor: "operator", action: "tenant.create", subject: id, outcome: "created", detail: region.rawValue)
                .insert(into: connection, at: date)
        }
        return Tenant(id: id, name: name, region: region, fullscriptClinicID: nil, fullscriptClinicName: nil, createdAt: stamp)
    }

    func list() async throws -> [Tenant] {
        try await database.read { connection in
            try connection.query("SELECT * FROM tenants ORDER BY id", [], Self.tenant)
        }
    }

    func find(_ id: String) async throws -> Tenant? {
        try await database.read { connection in
            try connection.queryFirst("SELECT * FROM tenants WHERE id = ?", [.text(id)]).map(Self.tenant)
        }
    }

    /// Pins `tenant` to `clinic` unless it has one: the first connection decides. The pin and the check
    /// are one statement, so two first connections racing (even from two processes) pin one clinic, and
    /// the loser is told which. `actor` is the EHR user whose connection it is, for the audit row.
    func pin(_ tenant: String, to clinic: Clinic, actor: String, requestID: String?) async throws -> ClinicPin {
        let date = now()
        return try await database.write { connection in
            try connection.transaction {
                let pinned = try connection.execute(
                    """
                    UPDATE tenants SET fullscript_clinic_id = ?1, fullscript_clinic_name = ?2
                    WHERE id = ?3 AND fullscript_clinic_id IS NULL AND NOT EXISTS (SELECT 1 FROM tenants WHERE fullscript_clinic_id = ?1)
                    """,
                    [.text(clinic.id), .text(clinic.name), .text(tenant)]
                ) == 1
                if pinned {
                    try AuditEntry(tenant: tenant, actor: actor, action: "tenant.pin_clinic", subject: clinic.id, outcome: "pinned",
                                   requestID: requestID, detail: clinic.name).insert(into: connection, at: date)
                    return .pinned
                }
                guard let current = try connection.queryFirst("SELECT * FROM tenants WHERE id = ?", [.text(tenant)]).map(Self.tenant) else {
                    throw TenantError.unknown(tenant)
                }
                switch current.fullscriptClinicID {
                case clinic.id: return .matches
                case nil: return .clinicOfAnotherTenant
                default: return .otherClinic(expected: current)
                }
            }
        }
    }

    /// The migration that made `default` could not know the deployment's region and said `us`; the
    /// single-region configuration does know. When no app serves `default`'s region, it moves to the
    /// configured app's: a Canadian deployment upgraded in place keeps connecting. A pinned clinic
    /// fixes the region for good, so such a tenant is never moved. Returns whether it moved.
    @discardableResult
    func placeDefaultTenant(servedBy settings: FullscriptSettings) async throws -> Bool {
        let servedRegions = Set(settings.apps.map(\.region))
        let configuredRegion = settings.app.region
        let date = now()
        return try await database.write { connection in
            try connection.transaction {
                guard let row = try connection.queryFirst(
                    "SELECT region FROM tenants WHERE id = ? AND fullscript_clinic_id IS NULL", [.text(Tenant.defaultID)]
                ), let region = FullscriptRegion(rawValue: try row.string("region")), !servedRegions.contains(region) else { return false }
                try connection.execute("UPDATE tenants SET region = ? WHERE id = ?", [.text(configuredRegion.rawValue), .text(Tenant.defaultID)])
                try AuditEntry(tenant: Tenant.defaultID, actor: "server", action: "tenant.region", subject: Tenant.defaultID, outcome: "moved",
                               detail: "\(region.rawValue) to \(configuredRegion.rawValue)").insert(into: connection, at: date)
                return true
            }
        }
    }

    private static func tenant(_ row: Row) throws -> Tenant {
        Tenant(id: try row.string("id"), name: try row.string("name"),
               region: FullscriptRegion(rawValue: try row.string("region")) ?? .us,
               fullscriptClinicID: try row.optionalString("fullscript_clinic_id"),
               fullscriptClinicName: try row.optionalString("fullscript_clinic_name"), createdAt: try row.string("created_at"))
    }
}
