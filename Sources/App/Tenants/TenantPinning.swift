/// Who may pin a tenant's Fullscript clinic (`tenants.pinning`, `TENANTS_PINNING`). The operator always
/// may (`tenants pin`); with `first-practitioner`, so may the tenant's first connection, when it is a
/// practitioner's account connected from a session that is neither patient-bound nor a viewer's.
public enum TenantPinning: String, Sendable, CaseIterable {
    case firstPractitioner = "first-practitioner"
    /// For a vendor running many practices: no connection decides a practice's clinic.
    case `operator`

    init(_ config: ValidatingReader) throws(ConfigError) {
        let value = try config.string("tenants.pinning")
        guard let parsed = TenantPinning(rawValue: value) else {
            throw ConfigError(key: "tenants.pinning", problem: "'\(value)' is not one of "
                + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = parsed
    }
}
