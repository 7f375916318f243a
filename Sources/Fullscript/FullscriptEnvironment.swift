/// The four deployments Fullscript runs (US and Canada are separate, each with its own apps and
/// secrets), plus `custom` for a simulator or a host the documentation does not list yet.
public enum FullscriptEnvironment: String, Sendable, CaseIterable {
    case usSandbox = "us-sandbox"
    case caSandbox = "ca-sandbox"
    case usProduction = "us-production"
    case caProduction = "ca-production"
    case custom
}
