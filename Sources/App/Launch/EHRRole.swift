/// What the EHR says its user is here, in the launch token's `roles` claim. Practitioners and staff
/// act in Fullscript (click, connect); a viewer only reads the chart and its plans.
public enum EHRRole: String, Sendable, CaseIterable {
    case practitioner
    case staff
    case viewer

    /// `roles` in a stable order (this enum's), for storing and showing.
    static func names(_ roles: Set<EHRRole>) -> [String] {
        allCases.filter(roles.contains).map(\.rawValue)
    }
}
