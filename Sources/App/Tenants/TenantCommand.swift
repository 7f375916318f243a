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

    /// `displayName` defaults to the id.
    public func create(id: String, region: String, displayName: String? = nil) async throws -> String {
        guard let parsed = FullscriptRegion(rawValue: region) else { throw TenantError.invalidRegion(region) }
        let tenant = try await withStore { try await $0.create(id: id, name: displayName ?? id, region: parsed) }
        return """
            Created tenant '\(tenant.id)' (\(tenant.name)), Fullscript region \(tenant.region.rawValue).
            Its EHR users sign in with launch tokens carrying "tenant": "\(tenant.id)"; its services need a key of their own:
            `fullscript-redirect service-keys create NAME --tenant \(tenant.id)`.

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
