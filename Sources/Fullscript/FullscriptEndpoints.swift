/// Where the REST API and the consent page live. Kept as configuration because Fullscript's own
/// documents disagree on hosts (`.io` vs `.com`, API host vs web host for authorize).
public struct FullscriptEndpoints: Sendable, Equatable {
    /// e.g. `https://api-us-snd.fullscript.io/api`; request paths (`/clinic`, `/oauth/token`) are appended.
    public var apiBaseURL: String
    /// e.g. `https://api-us-snd.fullscript.io/api/oauth/authorize`.
    public var authorizeURL: String

    public init(apiBaseURL: String, authorizeURL: String) {
        self.apiBaseURL = apiBaseURL
        self.authorizeURL = authorizeURL
    }

    /// The documented defaults; production uses the newest `.com` hosts. `nil` for `.custom`.
    public static func defaults(for environment: FullscriptEnvironment) -> FullscriptEndpoints? {
        let host: String
        switch environment {
        case .usSandbox: host = "api-us-snd.fullscript.io"
        case .caSandbox: host = "api-ca-snd.fullscript.io"
        case .usProduction: host = "api-us.fullscript.com"
        case .caProduction: host = "api-ca.fullscript.com"
        case .custom: return nil
        }
        let api = "https://\(host)/api"
        return FullscriptEndpoints(apiBaseURL: api, authorizeURL: api + "/oauth/authorize")
    }
}
