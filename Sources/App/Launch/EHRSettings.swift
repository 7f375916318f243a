public import Foundation

/// How EHR users reach us: the launch-token secret shared with the EHR's backend, where we are
/// published (https there makes every cookie `Secure`), and how long a session lasts.
public struct EHRSettings: Sendable {
    /// The HS256 key of launch tokens, from `EHR_LAUNCH_SECRET` (or `EHR_LAUNCH_SECRET_FILE`).
    public var launchSecret: [UInt8]
    public var publicBaseURL: URL
    public var sessionIdleTimeout: TimeInterval
    public var sessionAbsoluteTimeout: TimeInterval
    /// The demo's sign-in page, which mints launch tokens for the seeded EHR users. Never in production.
    public var demoSignIn: Bool
    /// The EHR's chart page (`ehr.chart_url`), for "Back to the chart" on pages the button opened.
    public var chartURL: ChartURLTemplate?

    public var secureCookies: Bool { publicBaseURL.scheme == "https" }

    static let minimumSecretBytes = 32

    init(_ config: ValidatingReader, environmentVariables: [String: String], redirectURI: String) throws(ConfigError) {
        let secret = try Secret.read("EHR_LAUNCH_SECRET", from: environmentVariables)
        guard secret.utf8.count >= Self.minimumSecretBytes else {
            throw ConfigError(key: "ehr.launch_secret",
                              problem: "EHR_LAUNCH_SECRET must be at least \(Self.minimumSecretBytes) bytes (e.g. `openssl rand -base64 32`)")
        }
        launchSecret = Array(secret.utf8)
        let base = try config.optionalString("public_base_url") ?? Self.origin(of: redirectURI)
        guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ConfigError(key: "public_base_url", problem: "'\(base)' is not an absolute http(s) URL")
        }
        publicBaseURL = url
        sessionIdleTimeout = TimeInterval(try config.int("ehr.session_idle_minutes", in: 1...24 * 60) * 60)
        sessionAbsoluteTimeout = TimeInterval(try config.int("ehr.session_absolute_hours", in: 1...24 * 30) * 3600)
        demoSignIn = try config.bool("ehr.demo_sign_in")
        chartURL = try config.optionalString("ehr.chart_url").map { text throws(ConfigError) in try ChartURLTemplate(text) }
    }

    /// The published origin defaults to the OAuth callback's, which is registered with Fullscript anyway.
    private static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
