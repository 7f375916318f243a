import Foundation
public import Fullscript

/// One app in Fullscript's API Dashboard: it exists in one region, with its own client id and secret,
/// redirect URI and webhook secrets. A deployment has one per region it serves.
public struct FullscriptApp: Sendable {
    public var region: FullscriptRegion
    public var environment: FullscriptEnvironment
    public var endpoints: FullscriptEndpoints
    public var credentials: FullscriptCredentials
    /// nil when this app's webhooks are not configured.
    public var webhook: WebhookSettings?

    /// The app under `keyPrefix` (`fullscript`, or `fullscript.ca` / `fullscript.us` in the two-region
    /// form), secrets from `secretPrefix` variables (`FULLSCRIPT`, `FULLSCRIPT_CA`, ...). `region` nil
    /// takes the environment's (a `custom` one names it in `<keyPrefix>.region`, else `us`).
    init(_ config: ValidatingReader, keyPrefix: String, secretPrefix: String, region expected: FullscriptRegion?,
         environmentVariables: [String: String]) throws(ConfigError) {
        let name = try config.optionalString(keyPrefix + ".environment") ?? expected.map { "\($0.rawValue)-sandbox" } ?? ""
        guard let environment = FullscriptEnvironment(rawValue: name) else {
            let names = FullscriptEnvironment.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(key: keyPrefix + ".environment", problem: "'\(name)' is not one of \(names)")
        }
        self.environment = environment
        let named = try config.optionalString(keyPrefix + ".region").map { text throws(ConfigError) in
            guard let region = FullscriptRegion(rawValue: text) else {
                throw ConfigError(key: keyPrefix + ".region", problem: "'\(text)' is not us or ca")
            }
            return region
        }
        region = FullscriptRegion(of: environment) ?? named ?? expected ?? .us
        if let expected, region != expected {
            throw ConfigError(key: keyPrefix + ".environment", problem: "'\(name)' is not in the \(expected.rawValue) region this app is for")
        }
        let defaults = FullscriptEndpoints.defaults(for: environment)
        guard let apiBaseURL = try config.optionalString(keyPrefix + ".api_base_url") ?? defaults?.apiBaseURL else {
            throw ConfigError(key: keyPrefix + ".api_base_url", problem: "required when \(keyPrefix).environment is custom")
        }
        guard let authorizeURL = try config.optionalString(keyPrefix + ".authorize_url") ?? defaults?.authorizeURL else {
            throw ConfigError(key: keyPrefix + ".authorize_url", problem: "required when \(keyPrefix).environment is custom")
        }
        for (key, url) in [(keyPrefix + ".api_base_url", apiBaseURL), (keyPrefix + ".authorize_url", authorizeURL)] {
            try FullscriptSettings.checkTransport(url, key: key, environment: environment)
        }
        endpoints = FullscriptEndpoints(apiBaseURL: apiBaseURL, authorizeURL: authorizeURL)
        guard let clientID = try config.optionalString(keyPrefix + ".client_id") else {
            throw ConfigError(key: keyPrefix + ".client_id", problem: "not set: the client id of your app in Fullscript's API Dashboard")
        }
        guard let redirectURI = try config.optionalString(keyPrefix + ".redirect_uri"),
              let parsed = URL(string: redirectURI), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigError(key: keyPrefix + ".redirect_uri",
                              problem: "must be the absolute callback URL registered in the API Dashboard, ending in /oauth/fullscript/callback")
        }
        credentials = FullscriptCredentials(
            clientID: clientID, clientSecret: try Secret.read(secretPrefix + "_CLIENT_SECRET", from: environmentVariables),
            redirectURI: redirectURI
        )
        webhook = try WebhookSettings(environmentVariables, prefix: secretPrefix)
    }
}
