import App
import ArgumentParser
import Foundation
import Logging

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
        let overrides = AppConfig.overrides(
            flags: ["host": host, "port": port.map(String.init), "database.path": database, "public.dir": publicDirectory],
            subcommandDefaults: extra
        )
        let environment = ProcessInfo.processInfo.environment.merging(secrets) { _, added in added }
        let directory = config ?? environment["CONFIG_DIR"] ?? "./config"
        let appConfig: AppConfig
        do {
            appConfig = try await AppConfig.load(directory: directory, overrides: overrides, environment: environment)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
        switch appConfig.logFormat {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError, metadataProvider: .requestID)
        case .json: LoggingSystem.bootstrap({ JSONLogHandler(label: $0, metadataProvider: $1) }, metadataProvider: .requestID)
        }
        var logger = Logger(label: "fullscript-redirect")
        logger.logLevel = appConfig.logLevel
        return (appConfig, logger)
    }
}
