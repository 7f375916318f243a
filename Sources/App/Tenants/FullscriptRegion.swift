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

    /// Fullscript sells labs in its US deployments only (fullscript-api.md §3.5, §12): elsewhere the
    /// labs entrypoint is neither offered nor accepted.
    var offersLabs: Bool { self == .us }

    /// nil for a `custom` environment, which says its region itself.
    init?(of environment: FullscriptEnvironment) {
        switch environment {
        case .usSandbox, .usProduction: self = .us
        case .caSandbox, .caProduction: self = .ca
        case .custom: return nil
        }
    }
}
