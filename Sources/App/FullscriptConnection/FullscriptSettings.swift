import Foundation
public import Fullscript
import HTTPClient
import Logging

/// Where Fullscript is and who we are to it. URLs come from the environment's documented defaults,
/// each overridable; only a `custom` environment on loopback (the simulator) may use plain http.
///
/// `app` is today's single-region form (`FULLSCRIPT_*`), serving the region of its environment. A
/// deployment serving both regions adds the other region's app under `fullscript.ca.*` or
/// `fullscript.us.*` (`FULLSCRIPT_CA_*`, `FULLSCRIPT_US_*`); a tenant's region picks its app.
public struct FullscriptSettings: Sendable {
    public var app: FullscriptApp
    /// The two-region form's app of the other region, if any.
    public var otherApp: FullscriptApp?
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
    /// How long a catalog variant's names, and a clinic's practitioners' names, are kept before they
    /// are asked again: they rarely change, and every chart shows them.
    public var catalogTTL: Duration
    /// How long a failed catalog or practitioners lookup is remembered: the chart shows ids meanwhile,
    /// without asking a failing Fullscript again on every read.
    public var catalogRetry: Duration
    /// How long a chart waits for names it must ask Fullscript for: past it, it shows ids for those,
    /// and the lookups finish for the next read.
    public var catalogWait: Duration

    public var environment: FullscriptEnvironment {
        get { app.environment }
        set { app.environment = newValue }
    }

    public var endpoints: FullscriptEndpoints {
        get { app.endpoints }
        set { app.endpoints = newValue }
    }

    public var credentials: FullscriptCredentials { app.credentials }

    /// nil when webhooks are not configured: `/webhooks/fullscript` then answers 503.
    public var webhook: WebhookSettings? { app.webhook }

    /// Every app of the deployment, one per region it serves.
    public var apps: [FullscriptApp] { [app] + (otherApp.map { [$0] } ?? []) }

    func app(for region: FullscriptRegion) -> FullscriptApp? {
        apps.first { $0.region == region }
    }

    /// Whether calls of any app reach Fullscript's production, where patients are real: a production
    /// environment, or any environment whose API URL names a production host (a `custom` one, or a
    /// sandbox one with its URL overridden), so that the name alone does not hide production.
    public var isProduction: Bool {
        apps.contains(where: Self.isProduction)
    }

    private static func isProduction(_ app: FullscriptApp) -> Bool {
        if [.usProduction, .caProduction].contains(app.environment) { return true }
        guard var host = URL(string: app.endpoints.apiBaseURL)?.host?.lowercased() else { return false }
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

    /// Whether a patient's email may reach Fullscript: always in production, else only at the
    /// `patient_email_domains` (a subdomain counts), so a sandbox never writes a real person's address.
    public func allowsPatientEmail(_ email: String) -> Bool {
        guard let domains = emailDomainGuard else { return true }
        guard let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...].lowercased()
        return domains.contains { domain == $0 || domain.hasSuffix("." + $0) }
    }

    init(_ config: ValidatingReader, environmentVariables: [String: String]) throws(ConfigError) {
        _ = try config.string("fullscript.environment")
        app = try FullscriptApp(config, keyPrefix: "fullscript", secretPrefix: "FULLSCRIPT", region: nil,
                                environmentVariables: environmentVariables)
        let other: FullscriptRegion = app.region == .us ? .ca : .us
        let otherPrefix = "fullscript." + other.rawValue
        otherApp = try config.optionalString(otherPrefix + ".client_id") == nil ? nil
            : try FullscriptApp(config, keyPrefix: otherPrefix, secretPrefix: "FULLSCRIPT_" + other.rawValue.uppercased(), region: other,
                                environmentVariables: environmentVariables)
        caFile = try config.optionalString("fullscript.ca_file")
        timeout = .milliseconds(try config.int("fullscript.timeout_ms", in: 100...120_000))
        clickTimeout = .milliseconds(try config.int("fullscript.click_timeout_ms", in: 100...120_000))
        maxConnections = try config.int("fullscript.max_connections", in: 1...4096)
        sendWelcomeEmail = try config.bool("fullscript.send_welcome_email")
        catalogTTL = .seconds(try config.int("fullscript.catalog_ttl_seconds", in: 1...31_536_000))
        catalogRetry = .seconds(try config.int("fullscript.catalog_retry_seconds", in: 1...86_400))
        catalogWait = .milliseconds(try config.int("fullscript.catalog_wait_ms", in: 0...120_000))
        patientEmailDomains = (try config.optionalString("fullscript.patient_email_domains") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
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

    /// One client per app. Each call may take `deadline`: `timeout` unless given (`clickTimeout` for a click's calls).
    func clients(over httpClient: HTTPClient, regions: TenantRegions, deadline: Duration? = nil, logger: Logger,
                 metrics: AppMetrics) -> FullscriptClients {
        FullscriptClients(
            byRegion: Dictionary(uniqueKeysWithValues: apps.map {
                ($0.region, client(of: $0, over: httpClient, deadline: deadline, logger: logger, metrics: metrics))
            }),
            regions: regions
        )
    }

    private func client(of app: FullscriptApp, over httpClient: HTTPClient, deadline: Duration? = nil, logger: Logger,
                metrics: AppMetrics) -> FullscriptClient {
        FullscriptClient(endpoints: app.endpoints, credentials: app.credentials,
                         transport: HTTPClientTransport(client: httpClient, deadline: deadline ?? timeout), logger: logger,
                         metrics: metrics.factory)
    }

    static func checkTransport(_ text: String, key: String, environment: FullscriptEnvironment) throws(ConfigError) {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host, !host.isEmpty else {
            throw ConfigError(key: key, problem: "'\(text)' is not an absolute URL")
        }
        if scheme == "https" { return }
        guard scheme == "http", environment == .custom, FullscriptClient.isLoopback(host) else {
            throw ConfigError(key: key, problem: "must use https (plain http is allowed only for a custom environment on loopback)")
        }
    }
}
