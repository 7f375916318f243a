import Fullscript

/// Fullscript's separate deployments: an account, a clinic and an OAuth app exist in one of them only.
public enum FullscriptRegion: String, Sendable, CaseIterable {
    case us, ca
}

extension FullscriptRegion {
    /// As people name Fullscript's deployments.
    var displayName: String {
        switch self {
        case .us: "US"
        case .ca: "Canada"
        }
    }

    /// nil for a `custom` environment, which says its region itself.
    init?(of environment: FullscriptEnvironment) {
        switch environment {
        case .usSandbox, .usProduction: self = .us
        case .caSandbox, .caProduction: self = .ca
        case .custom: return nil
        }
    }
}
