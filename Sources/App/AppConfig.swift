import Configuration
import Foundation
import HTTP1
import Logging
import Server
import SystemPackage

/// Everything the program reads at start, validated once. Values come from `config/default.json`,
/// overridden by environment variables (`database.path` → `DATABASE_PATH`), overridden by
/// command-line flags. Secrets are never read from `config/`: only from the environment or files.
public struct AppConfig: Sendable {
    public var server: HTTPServer.Configuration
    public var databasePath: String
    public var databaseReaders: Int
    public var databaseBusyTimeoutMilliseconds: Int
    public var autoMigrate: Bool
    public var publicDirectory: String
    public var migrationsDirectory: String
    public var logLevel: Logger.Level
    /// `text` for a terminal, `json` (one object per line) for a log collector.
    public var logFormat: LogFormat
    public var fullscript: FullscriptSettings
    public var tokenKeys: TokenKeyRing
    public var ehr: EHRSettings
    public var rateLimits: RateLimitSettings
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
        let file: FileProvider<JSONSnapshot>
        do {
            file = try await FileProvider<JSONSnapshot>(filePath: FilePath(directory + "/default.json"))
        } catch {
            throw ConfigError(key: "-", problem: "cannot read \(directory)/default.json: \(error)")
        }
        // Flags arrive as text like environment variables do, so they are parsed by the same rules.
        let flags = EnvironmentVariablesProvider(environmentVariables: Dictionary(uniqueKeysWithValues: overrides.map { key, value in
            (environmentName(of: key), value)
        }))
        let reader = ConfigReader(providers: [flags, EnvironmentVariablesProvider(environmentVariables: environment), file])
        return try AppConfig(ValidatingReader(reader: reader), environment: environment)
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
            shutdownGracePeriod: .milliseconds(try config.int("http.shutdown_grace_ms", in: 0...600_000))
        )
        databasePath = try config.string("database.path")
        databaseReaders = try config.int("database.readers", in: 1...64)
        databaseBusyTimeoutMilliseconds = try config.int("database.busy_timeout_ms", in: 0...600_000)
        autoMigrate = try config.bool("database.auto_migrate")
        publicDirectory = try config.string("public.dir")
        migrationsDirectory = try config.string("migrations.dir")
        let level = try config.string("log.level")
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(key: "log.level", problem: "'\(level)' is not one of \(names)")
        }
        self.logLevel = logLevel
        let format = try config.string("log.format")
        guard let logFormat = LogFormat(rawValue: format) else {
            throw ConfigError(key: "log.format", problem: "'\(format)' is not one of text, json")
        }
        self.logFormat = logFormat
        fullscript = try FullscriptSettings(config, environmentVariables: environment)
        tokenKeys = try TokenKeyRing.fromEnvironment(environment)
        rateLimits = try RateLimitSettings(config)
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

    /// The environment variable that overrides a key, following swift-configuration's naming.
    public static func environmentName(of key: String) -> String {
        String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}

public enum LogFormat: String, Sendable {
    case text, json
}

/// Reads required keys and turns swift-configuration's failures into errors naming the key.
struct ValidatingReader {
    let reader: ConfigReader

    func string(_ key: String) throws(ConfigError) -> String {
        let value: String
        do {
            value = try reader.requiredString(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not text")
        }
        guard !value.isEmpty else { throw ConfigError(key: key, problem: "must not be empty") }
        return value
    }

    /// nil when unset or empty: `config/default.json` lists optional keys with "".
    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key)), !value.isEmpty else { return nil }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value: Int
        do {
            value = try reader.requiredInt(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not a whole number (\(describe(key)))")
        }
        guard range.contains(value) else {
            throw ConfigError(key: key, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws(ConfigError) -> Bool {
        do {
            return try reader.requiredBool(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not true/false (\(describe(key)))")
        }
    }

    private func describe(_ key: String) -> String {
        reader.string(forKey: ConfigKey(key)).map { "got '\($0)'" } ?? "not set"
    }
}
