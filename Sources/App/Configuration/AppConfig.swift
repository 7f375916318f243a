import Configuration
public import Foundation
import HTTP1
import Logging
public import Server
import SystemPackage
import Fullscript

/// Everything the program reads at start, validated once. Values come from `config/default.json`,
/// overridden by environment variables (`database.path` → `DATABASE_PATH`), overridden by
/// command-line flags. Secrets are never read from `config/`: only from the environment or files.
public struct AppConfig: Sendable {
    public var server: HTTPServer.Configuration
    public var database: DatabaseSettings
    public var publicDirectory: String
    public var log: LogSettings
    public var fullscript: FullscriptSettings
    public var tokenKeys: TokenKeyRing
    public var ehr: EHRSettings
    public var rateLimits: RateLimitSettings
    public var tenantPinning: TenantPinning
    /// How often an open chart's plan stream sends a heartbeat (and re-checks its session). Set in
    /// code, not read from `config/`: 15 s suits browsers and proxies; tests shorten it.
    public var planStreamHeartbeat: Duration = .seconds(15)

    /// - Parameters:
    ///   - directory: the folder holding `default.json`.
    ///   - overrides: values given as flags, by configuration key.
    public static func load(
        directory: String,
        overrides: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> AppConfig {
        try AppConfig(try await ValidatingReader.load(directory: directory, overrides: overrides, environment: environment),
                      environment: environment)
    }

    init(_ config: ValidatingReader, environment: [String: String]) throws(ConfigError) {
        let limits = HTTPLimits(
            maxRequestLineLength: try config.int("http.max_request_line_bytes", in: 256...1 << 20),
            maxHeaderSectionSize: try config.int("http.max_header_bytes", in: 1024...1 << 22),
            maxHeaderFieldCount: try config.int("http.max_header_fields", in: 8...10_000),
            maxBodySize: try config.int("http.max_body_bytes", in: 0...1 << 30)
        )
        let eventLoops = try config.int("http.event_loops", in: 0...256)
        server = HTTPServer.Configuration(
            host: try config.string("host"),
            port: try config.int("port", in: 0...65_535),
            limits: limits,
            headerTimeout: .milliseconds(try config.int("http.header_timeout_ms", in: 1...3_600_000)),
            idleTimeout: .milliseconds(try config.int("http.idle_timeout_ms", in: 1...3_600_000)),
            progressTimeout: .milliseconds(try config.int("http.progress_timeout_ms", in: 1...3_600_000)),
            bodyTimeout: .milliseconds(try config.int("http.body_timeout_ms", in: 1...3_600_000)),
            // At least 1 MiB, so the largest body any route takes (256 KiB for webhooks) always fits.
            maxBufferedBodyBytes: try config.int("http.max_buffered_body_bytes", in: 1 << 20...1 << 40),
            maxConnections: try config.int("http.max_connections", in: 1...1_000_000),
            eventLoopCount: eventLoops == 0 ? HTTPServer.Configuration.defaultEventLoopCount : eventLoops,
            shutdownDelay: .milliseconds(try config.int("http.shutdown_delay_ms", in: 0...600_000)),
            shutdownGracePeriod: .milliseconds(try config.int("http.shutdown_grace_ms", in: 0...600_000))
        )
        database = try DatabaseSettings(config, environment: environment)
        publicDirectory = try config.string("public.dir")
        log = try LogSettings(config)
        fullscript = try FullscriptSettings(config, environmentVariables: environment)
        tokenKeys = try TokenKeyRing.fromEnvironment(environment)
        rateLimits = try RateLimitSettings(config)
        tenantPinning = try TenantPinning(config)
        ehr = try EHRSettings(config, environmentVariables: environment, redirectURI: fullscript.credentials.redirectURI)
        // The demo sign-in lets anyone who reaches the server sign in as a seeded EHR user; against
        // production Fullscript that is anyone acting on real patients, so refuse to start at all.
        if ehr.demoSignIn, fullscript.isProduction {
            throw ConfigError(
                key: "ehr.demo_sign_in",
                problem: "must be false when Fullscript is production (fullscript.environment (FULLSCRIPT_ENVIRONMENT) is "
                    + "\(fullscript.environment.rawValue), API \(fullscript.endpoints.apiBaseURL)): the demo sign-in lets anyone "
                    + "sign in as a seeded EHR user. Unset EHR_DEMO_SIGN_IN, or point FULLSCRIPT_ENVIRONMENT at a sandbox"
            )
        }
    }

    /// What a subcommand sets (the demo's database, say) unless the user gave that flag; a flag not
    /// given must not erase the subcommand's value.
    public static func overrides(flags: [String: String?], subcommandDefaults: [String: String]) -> [String: String] {
        subcommandDefaults.merging(flags.compactMapValues { $0 }) { _, flag in flag }
    }

}
