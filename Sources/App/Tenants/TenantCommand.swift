public import Logging
import Store

/// `fullscript-redirect tenants …`: like `service-keys`, each command brings the schema up to date
/// first and needs only the database settings.
public struct TenantCommand: Sendable {
    let database: DatabaseSettings
    let logger: Logger

    public init(database: DatabaseSettings, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// `displayName` defaults to the id; `clinicID` pins the tenant's Fullscript clinic at once.
    public func create(id: String, region: String, displayName: String? = nil, clinicID: String? = nil) async throws -> String {
        guard let parsed = FullscriptRegion(rawValue: region) else { throw TenantError.invalidRegion(region) }
        let tenant = try await withStore { try await $0.create(id: id, name: displayName ?? id, region: parsed, clinicID: clinicID) }
        let clinic = tenant.fullscriptClinicID.map { "It is pinned to Fullscript clinic \($0): only accounts of that clinic connect.\n" }
            ?? "Its Fullscript clinic is pinned by its first practitioner's connection, or by `fullscript-redirect tenants pin \(tenant.id) CLINIC_ID`.\n"
        return """
            Created tenant '\(tenant.id)' (\(tenant.name)), Fullscript region \(tenant.region.rawValue).
            \(clinic)Its EHR users sign in with launch tokens carrying "tenant": "\(tenant.id)"; its services need a key of their own:
            `fullscript-redirect service-keys create NAME --tenant \(tenant.id)`.

            """
    }

    public func pin(_ tenant: String, clinicID: String) async throws -> String {
        guard try await withStore({ try await $0.pinByOperator(tenant, to: clinicID) }) else {
            return "Tenant '\(tenant)' already is pinned to Fullscript clinic \(clinicID); nothing changed.\n"
        }
        return """
            Pinned tenant '\(tenant)' to Fullscript clinic \(clinicID). Only accounts of that clinic connect; the tenant's connections \
            of another clinic must connect again; the clinic's webhook events held while no tenant had it are now the \
            tenant's (the running server applies them within a minute).

            """
    }

    public func unpin(_ tenant: String) async throws -> String {
        guard let clinic = try await withStore({ try await $0.unpin(tenant) }) else {
            return "Tenant '\(tenant)' is not pinned to a Fullscript clinic; nothing changed.\n"
        }
        return """
            Unpinned tenant '\(tenant)' from Fullscript clinic \(clinic). Until it is pinned again (by `tenants pin`, or, with \
            tenants.pinning first-practitioner, by its next practitioner's connection), that clinic's webhook events are ignored \
            (they are applied once it is pinned again) unless it is the only tenant, and `reconcile` skips it. Its connections stay.

            """
    }

    public func list() async throws -> String {
        let tenants = try await withStore { try await $0.list() }
        return TextTable.render([["ID", "NAME", "REGION", "FULLSCRIPT CLINIC", "CREATED"]] + tenants.map { tenant in
            [tenant.id, tenant.name, tenant.region.rawValue, tenant.fullscriptClinicID.map { _ in tenant.pinnedClinicDescription } ?? "-",
             tenant.createdAt]
        })
    }

    private func withStore<T: Sendable>(_ body: (TenantStore) async throws -> T) async throws -> T {
        let database = try await Application.openDatabaseUpToDate(self.database, logger: logger)
        defer { database.close() }
        return try await body(TenantStore(database: database))
    }
}
