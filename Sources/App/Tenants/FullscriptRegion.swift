/// Fullscript's separate deployments: an account, a clinic and an OAuth app exist in one of them only.
public enum FullscriptRegion: String, Sendable, CaseIterable {
    case us, ca
}
