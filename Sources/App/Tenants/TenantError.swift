public enum TenantError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidID(String)
    case invalidName
    case invalidRegion(String)
    case idTaken(String)
    case unknown(String)
    case invalidClinicID(String)
    /// The tenant, and the clinic it is pinned to.
    case pinnedToAnotherClinic(String, clinic: String)
    /// The clinic, and the tenant pinned to it.
    case clinicPinnedByAnotherTenant(String, tenant: String)

    public var description: String {
        switch self {
        case .invalidID(let id):
            "'\(id)' is not a valid tenant id: use 1 to \(Tenant.maxIDLength) characters among a-z 0-9 -"
        case .invalidName:
            "a tenant's display name is 1 to \(Tenant.maxNameLength) characters without control characters"
        case .invalidRegion(let region):
            "'\(region)' is not a Fullscript region: use " + FullscriptRegion.allCases.map(\.rawValue).joined(separator: " or ")
        case .idTaken(let id):
            "a tenant '\(id)' already exists; choose another id"
        case .unknown(let id):
            "there is no tenant '\(id)': `fullscript-redirect tenants list` shows them"
        case .invalidClinicID(let clinic):
            "'\(TextTable.printable(clinic))' is not a Fullscript clinic id: use 1 to \(Tenant.maxClinicIDLength) characters among A-Z a-z 0-9 _ -"
        case .pinnedToAnotherClinic(let tenant, let clinic):
            "tenant '\(tenant)' is pinned to Fullscript clinic \(clinic); `fullscript-redirect tenants unpin \(tenant)` first"
        case .clinicPinnedByAnotherTenant(let clinic, let tenant):
            "Fullscript clinic \(clinic) is pinned to tenant '\(tenant)': a clinic belongs to one practice"
        }
    }
}
