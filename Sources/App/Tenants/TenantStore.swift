import Foundation
import Fullscript
import Store

/// The practices this deployment serves (`tenants`).
struct TenantStore: Sendable {
    let database: any SQLDatabase
    var now: @Sendable () -> Date = Date.init

    /// `clinicID`: the operator pins the new tenant at once, so no connection decides its clinic.
    func create(id: String, name: String, region: FullscriptRegion, clinicID: String? = nil) async throws -> Tenant {
        guard Tenant.isValidID(id) else { throw TenantError.invalidID(id) }
        guard Tenant.isValidName(name) else { throw TenantError.invalidName }
        if let clinicID, !Tenant.isValidClinicID(clinicID) { throw TenantError.invalidClinicID(clinicID) }
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
            if let clinicID { _ = try Self.operatorPin(id, to: clinicID, in: connection, at: date) }
        }
        return Tenant(id: id, name: name, region: region, fullscriptClinicID: clinicID, fullscriptClinicName: nil, createdAt: stamp)
    }

    func list() async throws -> [Tenant] {
        try await database.read { connection in
            try connection.query("SELECT * FROM tenants ORDER BY id", [], Self.tenant)
        }
    }

    func find(_ id: String) async throws -> Tenant? {
        try await database.read { connection in try Self.find(id, in: connection) }
    }

    /// Pins `tenant` to `clinic` unless it has one, when `mayPin` (the connection may be the one that
    /// decides). The pin and the check are one statement, so two first connections racing (even from two
    /// processes) pin one clinic, and the loser is told which. A clinic another tenant's live connections
    /// belong to (an upgraded `default`, unpinned, say) is not pinned by a connection either: that is the
    /// operator's call (`tenants pin`), never a race an insider of another practice could win. `actor` is
    /// the EHR user whose connection it is, for the audit row.
    func pin(_ tenant: String, to clinic: Clinic, mayPin: Bool, actor: String, requestID: String?) async throws -> ClinicPin {
        let date = now()
        return try await database.write { connection in
            let pinned = try mayPin && connection.execute(
                """
                UPDATE tenants SET fullscript_clinic_id = ?1, fullscript_clinic_name = ?2
                WHERE id = ?3 AND fullscript_clinic_id IS NULL AND NOT EXISTS (SELECT 1 FROM tenants WHERE fullscript_clinic_id = ?1)
                  AND NOT EXISTS (SELECT 1 FROM fullscript_connections
                                  WHERE fullscript_clinic_id = ?1 AND tenant_id <> ?3 AND status = 'connected')
                """,
                [.text(clinic.id), .text(clinic.name), .text(tenant)]
            ) == 1
            if pinned {
                try AuditEntry(tenant: tenant, actor: actor, action: "tenant.pin_clinic", subject: clinic.id, outcome: "pinned",
                               requestID: requestID, detail: clinic.name).insert(into: connection, at: date)
                try Self.settle(pinOf: tenant, to: clinic.id, in: connection, at: date)
                return .pinned
            }
            guard let current = try Self.find(tenant, in: connection) else { throw TenantError.unknown(tenant) }
            switch current.fullscriptClinicID {
            case clinic.id:
                // An operator's pin has no name until a connection of that clinic tells it.
                try connection.execute("UPDATE tenants SET fullscript_clinic_name = ? WHERE id = ? AND fullscript_clinic_name IS NULL",
                                       [.text(clinic.name), .text(tenant)])
                return .matches
            case nil:
                return try Self.holder(of: clinic.id, in: connection) != nil ? .clinicOfAnotherTenant : .notPinnedYet(current)
            default:
                return .otherClinic(expected: current)
            }
        }
    }

    /// `tenants pin`: the operator decides a tenant's clinic. Returns false when it already was that one.
    func pinByOperator(_ tenant: String, to clinicID: String) async throws -> Bool {
        guard Tenant.isValidClinicID(clinicID) else { throw TenantError.invalidClinicID(clinicID) }
        let date = now()
        return try await database.write { connection in
            try Self.operatorPin(tenant, to: clinicID, in: connection, at: date)
        }
    }

    /// `tenants unpin`: the tenant's clinic is decided again, by the operator or its next first connection.
    /// Its connections stay; those of another clinic than the next pin are then not used. Returns the
    /// clinic it was pinned to, nil when none.
    func unpin(_ tenant: String) async throws -> String? {
        let date = now()
        return try await database.write { connection in
            guard let current = try Self.find(tenant, in: connection) else { throw TenantError.unknown(tenant) }
            guard let clinic = current.fullscriptClinicID else { return nil }
            try connection.execute("UPDATE tenants SET fullscript_clinic_id = NULL, fullscript_clinic_name = NULL WHERE id = ?",
                                   [.text(tenant)])
            try AuditEntry(tenant: tenant, actor: "operator", action: "tenant.unpin_clinic", subject: clinic, outcome: "unpinned",
                           detail: current.fullscriptClinicName).insert(into: connection, at: date)
            return clinic
        }
    }

    private static func operatorPin(_ tenant: String, to clinicID: String, in connection: any SQLConnection, at date: Date) throws -> Bool {
        guard let current = try find(tenant, in: connection) else { throw TenantError.unknown(tenant) }
        if let pinned = current.fullscriptClinicID {
            guard pinned == clinicID else { throw TenantError.pinnedToAnotherClinic(tenant, clinic: pinned) }
            return false
        }
        if let holder = try holder(of: clinicID, in: connection) { throw TenantError.clinicPinnedByAnotherTenant(clinicID, tenant: holder) }
        try connection.execute("UPDATE tenants SET fullscript_clinic_id = ? WHERE id = ?", [.text(clinicID), .text(tenant)])
        try AuditEntry(tenant: tenant, actor: "operator", action: "tenant.pin_clinic", subject: clinicID, outcome: "pinned")
            .insert(into: connection, at: date)
        try settle(pinOf: tenant, to: clinicID, in: connection, at: date)
        return true
    }

    /// What a new pin changes besides the tenant row, in its transaction. The clinic's events that came
    /// while no tenant had it (stored ignored, unclaimed) become this tenant's, pending, so they are
    /// applied once. Marked for reconnection: the tenant's connections of another clinic, and other
    /// tenants' connections of this one (kept by an unpinned tenant, or made while it was nobody's).
    private static func settle(pinOf tenant: String, to clinicID: String, in connection: any SQLConnection, at date: Date) throws {
        try connection.execute(
            """
            UPDATE webhook_events SET tenant_id = ?, status = 'pending', attempts = 0, error = NULL, processed_at = NULL
            WHERE tenant_id IS NULL AND status = 'ignored' AND clinic_id = ?
            """,
            [.text(tenant), .text(clinicID)]
        )
        // Exactly one of "this tenant" and "this clinic" holds; a connection of no known clinic is asked on use.
        let strays = try connection.query(
            """
            SELECT c.tenant_id, c.ehr_user_id, c.fullscript_clinic_id, t.fullscript_clinic_id AS pinned
            FROM fullscript_connections c JOIN tenants t ON t.id = c.tenant_id
            WHERE c.status = 'connected' AND (c.tenant_id = ?1) <> (c.fullscript_clinic_id = ?2)
            """,
            [.text(tenant), .text(clinicID)]
        ) { row in
            (user: EHRUser(id: try row.string("ehr_user_id"), tenant: try row.string("tenant_id")),
             clinic: try row.string("fullscript_clinic_id"), pinned: try row.optionalString("pinned"))
        }
        for stray in strays {
            try TokenVault.markForReconnection(stray.user, clinic: stray.clinic, expected: stray.pinned, requestID: nil,
                                               in: connection, at: date)
        }
    }

    private static func find(_ tenant: String, in connection: any SQLConnection) throws -> Tenant? {
        try connection.queryFirst("SELECT * FROM tenants WHERE id = ?", [.text(tenant)]).map(Self.tenant)
    }

    /// The tenant pinned to `clinicID`, if any.
    private static func holder(of clinicID: String, in connection: any SQLConnection) throws -> String? {
        try connection.queryFirst("SELECT id FROM tenants WHERE fullscript_clinic_id = ?", [.text(clinicID)]).map { try $0.string("id") }
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
            guard let row = try connection.queryFirst(
                "SELECT region FROM tenants WHERE id = ? AND fullscript_clinic_id IS NULL", [.text(Tenant.defaultID)]
            ), let region = FullscriptRegion(rawValue: try row.string("region")), !servedRegions.contains(region) else { return false }
            try connection.execute("UPDATE tenants SET region = ? WHERE id = ?", [.text(configuredRegion.rawValue), .text(Tenant.defaultID)])
            try AuditEntry(tenant: Tenant.defaultID, actor: "server", action: "tenant.region", subject: Tenant.defaultID, outcome: "moved",
                           detail: "\(region.rawValue) to \(configuredRegion.rawValue)").insert(into: connection, at: date)
            return true
        }
    }

    private static func tenant(_ row: Row) throws -> Tenant {
        Tenant(id: try row.string("id"), name: try row.string("name"),
               region: FullscriptRegion(rawValue: try row.string("region")) ?? .us,
               fullscriptClinicID: try row.optionalString("fullscript_clinic_id"),
               fullscriptClinicName: try row.optionalString("fullscript_clinic_name"), createdAt: try row.string("created_at"))
    }
}
