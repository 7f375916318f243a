public enum TenantError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidID(String)
    case invalidName
    case invalidRegion(String)
    case idTaken(String)
    case unknown(String)

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
        }
    }
}
