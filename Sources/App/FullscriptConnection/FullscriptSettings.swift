import Foundation
public import Fullscript
import HTTPClient
import Logging

/// Where Fullscript is and who we are to it. URLs come from the environment's documented defaults,
/// each overridable; only a `custom` environment on loopback (the simulator) may use plain http.
public struct FullscriptSettings: Sendable {
    public var environment: FullscriptEnvironment
    public var endpoints: FullscriptEndpoints
    public var credentials: FullscriptCredentials
    public var caFile: String?
    /// The longest a call to Fullscript may take, retries included: webhooks, plan refreshes, token
    /// refreshes, patient searches, reconcile.
    public var timeout: Duration
    /// The same for each call a practitioner waits on in the new tab after a click (the draft or
    /// new-plan link, a staff user's practitioner list): how long a person will watch our opening page.
    public var clickTimeout: Duration
    /// Connections to Fullscript at once; clicks beyond them wait for one. Each click holds one for a
    /// whole Fullscript round trip, so this over the round-trip time bounds clicks per second.
    public var maxConnections: Int
    /// Whether Fullscript emails a patient it creates from a draft link.
    public var sendWelcomeEmail: Bool
    /// Outside production, patient emails must be in one of these domains (or their subdomains),
    /// so a sandbox or a demo never lets Fullscript email a real person.
    public var patientEmailDomains: [String]
    /// nil when webhooks are not configured: `/webhooks/fullscript` then answers 503.
    public var webhook: WebhookSettings?

    /// Whether calls reach Fullscript's production, where patients are real: a production
    /// environment, or any environment whose API URL names a production host (a `custom` one, or a
    /// sandbox one with its URL overridden), so that the name alone does not hide production.
    public var isProduction: Bool {
        if [.usProduction, .caProduction].contains(environment) { return true }
        guard var host = URL(string: endpoints.apiBaseURL)?.host?.lowercased() else { return false }
        if host.hasSuffix(".") { host.removeLast() }  // a fully qualified name is the same host
        return Self.productionAPIHosts.contains(host)
    }

    private static let productionAPIHosts: Set<String> = Set(
        [FullscriptEnvironment.usProduction, .caProduction].compactMap { FullscriptEndpoints.defaults(for: $0) }
            .compactMap { URL(string: $0.apiBaseURL)?.host?.lowercased() }
    )

    /// nil in production, where every address is a real patient's.
    public var emailDomainGuard: [String]? {
        [.usProduction, .caProduction].contains(environment) ? nil : patientEmailDomains
    }

    init(_ config: ValidatingReader, environmentVariables: [String: String]) throws(ConfigError) {
        let name = try config.string("fullscript.environment")
        guard let environment = FullscriptEnvironment(rawValue: name) else {
            let names = FullscriptEnvironment.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(key: "fullscript.environment", problem: "'\(name)' is not one of \(names)")
        }
        self.environment = environment
        let defaults = FullscriptEndpoints.defaults(for: environment)
        guard let apiBaseURL = try config.optionalString("fullscript.api_base_url") ?? defaults?.apiBaseURL else {
            throw ConfigError(key: "fullscript.api_base_url", problem: "required when fullscript.environment is custom")
        }
        guard let authorizeURL = try config.optionalString("fullscript.authorize_url") ?? defaults?.authorizeURL else {
            throw ConfigError(key: "fullscript.authorize_url", problem: "required when fullscript.environment is custom")
        }
        for (key, url) in [("fullscript.api_base_url", apiBaseURL), ("fullscript.authorize_url", authorizeURL)] {
            try Self.checkTransport(url, key: key, environment: environment)
        }
        endpoints = FullscriptEndpoints(apiBaseURL: apiBaseURL, authorizeURL: authorizeURL)
        guard let clientID = try config.optionalString("fullscript.client_id") else {
            throw ConfigError(key: "fullscript.client_id", problem: "not set: the client id of your app in Fullscript's API Dashboard")
        }
        guard let redirectURI = try config.optionalString("fullscript.redirect_uri"),
              let parsed = URL(string: redirectURI), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigError(key: "fullscript.redirect_uri",
                              problem: "must be the absolute callback URL registered in the API Dashboard, ending in /oauth/fullscript/callback")
        }
        credentials = FullscriptCredentials(
            clientID: clientID, clientSecret: try Secret.read("FULLSCRIPT_CLIENT_SECRET", from: environmentVariables),
            redirectURI: redirectURI
        )
        caFile = try config.optionalString("fullscript.ca_file")
        timeout = .milliseconds(try config.int("fullscript.timeout_ms", in: 100...120_000))
        clickTimeout = .milliseconds(try config.int("fullscript.click_timeout_ms", in: 100...120_000))
        maxConnections = try config.int("fullscript.max_connections", in: 1...4096)
        sendWelcomeEmail = try config.bool("fullscript.send_welcome_email")
        patientEmailDomains = (try config.optionalString("fullscript.patient_email_domains") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        webhook = try WebhookSettings(environmentVariables)
    }

    /// The outbound client Fullscript calls go through: extra trust anchors, and plain http only to the simulator.
    var httpClientConfiguration: HTTPClientConfiguration {
        var configuration = HTTPClientConfiguration()
        configuration.caFile = caFile
        configuration.maxConnectionsPerOrigin = maxConnections
        configuration.allowPlainHTTPToLoopback = environment == .custom
        // A deadline longer than the client's wait for the next byte would end at that wait instead.
        configuration.readTimeout = max(configuration.readTimeout, timeout, clickTimeout)
        return configuration
    }

    /// Each call of the client may take `deadline`: `timeout` unless given (`clickTimeout` for a click's calls).
    func client(over httpClient: HTTPClient, deadline: Duration? = nil, logger: Logger, metrics: AppMetrics) -> FullscriptClient {
        FullscriptClient(endpoints: endpoints, credentials: credentials,
                         transport: HTTPClientTransport(client: httpClient, deadline: deadline ?? timeout), logger: logger,
                         metrics: metrics.factory)
    }

    private static func checkTransport(_ text: String, key: String, environment: FullscriptEnvironment) throws(ConfigError) {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host, !host.isEmpty else {
            throw ConfigError(key: key, problem: "'\(text)' is not an absolute URL")
        }
        if scheme == "https" { return }
        guard scheme == "http", environment == .custom, Self.isLoopback(host) else {
            throw ConfigError(key: key, problem: "must use https (plain http is allowed only for a custom environment on loopback)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
