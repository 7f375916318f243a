import Locking
import Store

/// Each tenant's Fullscript region, read from `tenants` once and then kept: no command changes a
/// tenant's region, and a tenant created by another process is read on first use.
final class TenantRegions: Sendable {
    private let database: any SQLDatabase
    private let known = PThreadMutex<[String: FullscriptRegion]>([:])

    init(database: any SQLDatabase) {
        self.database = database
    }

    /// Whether the tenant's Fullscript sells labs (US only); a tenant that does not exist offers nothing.
    func offersLabs(in tenant: String) async throws -> Bool {
        try await region(of: tenant)?.offersLabs ?? false
    }

    /// nil for a tenant that does not exist.
    func region(of tenant: String) async throws -> FullscriptRegion? {
        if let region = known.withLock({ $0[tenant] }) { return region }
        guard let region = try await TenantStore(database: database).find(tenant)?.region else { return nil }
        known.withLock { $0[tenant] = region }
        return region
    }
}
