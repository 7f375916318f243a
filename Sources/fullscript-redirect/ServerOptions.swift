import App
import ArgumentParser
import Foundation
import Logging
import Server

/// Flags shared by every subcommand that opens the database or the port.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (environment HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "TCP port to listen on (environment PORT; default 8080).")
    var port: Int?

    @Option(help: "SQLite database file (environment DATABASE_PATH; default ./data/fullscript-redirect.sqlite).")
    var database: String?

    @Option(name: .customLong("public"), help: "Folder of static files served at / (environment PUBLIC_DIR; default ./Public).")
    var publicDirectory: String?

    @Option(help: "Folder holding default.json (environment CONFIG_DIR; default ./config).")
    var config: String?

    /// `extra` are configuration keys set by the subcommand; `secrets` are added to the environment.
    func load(extra: [String: String] = [:], secrets: [String: String] = [:]) async throws -> (AppConfig, Logger) {
        let environment = ProcessInfo.processInfo.environment.merging(secrets) { _, added in added }
        let appConfig = try await validated {
            try await AppConfig.load(directory: directory(environment), overrides: overrides(extra), environment: environment)
        }
        return (appConfig, Self.logger(appConfig.log))
    }

    /// Only what opening the database takes: commands that touch nothing else need no Fullscript or EHR settings.
    func loadDatabase() async throws -> (DatabaseSettings, Logger) {
        let environment = ProcessInfo.processInfo.environment
        let (database, log) = try await validated {
            try await DatabaseSettings.load(directory: directory(environment), overrides: overrides([:]), environment: environment)
        }
        return (database, Self.logger(log))
    }

    private func overrides(_ extra: [String: String]) -> [String: String] {
        AppConfig.overrides(
            flags: ["host": host, "port": port.map(String.init), "database.path": database, "public.dir": publicDirectory],
            subcommandDefaults: extra
        )
    }

    private func directory(_ environment: [String: String]) -> String {
        config ?? environment["CONFIG_DIR"] ?? "./config"
    }

    private func validated<T>(_ load: () async throws -> T) async throws -> T {
        do {
            return try await load()
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }

    private static func logger(_ settings: LogSettings) -> Logger {
        switch settings.format {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError, metadataProvider: .requestID)
        case .json: LoggingSystem.bootstrap({ JSONLogHandler(label: $0, metadataProvider: $1) }, metadataProvider: .requestID)
        }
        var logger = Logger(label: "fullscript-redirect")
        logger.logLevel = settings.level
        return logger
    }
}
