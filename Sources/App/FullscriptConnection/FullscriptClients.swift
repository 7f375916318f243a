import Fullscript

/// The Fullscript client a tenant's calls go through: the one of the app of the tenant's region.
struct FullscriptClients: Sendable {
    let byRegion: [FullscriptRegion: FullscriptClient]
    let regions: TenantRegions

    func client(for tenant: String) async throws -> FullscriptClient {
        guard let region = try await regions.region(of: tenant) else { throw MissingFullscriptApp.unknownTenant(tenant) }
        guard let client = byRegion[region] else { throw MissingFullscriptApp.noAppForRegion(region) }
        return client
    }
}
