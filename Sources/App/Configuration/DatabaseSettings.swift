public import Foundation

/// Where the database lives and how it is opened: all that `migrate` and `service-keys` need, so
/// they run without the Fullscript and EHR settings the server needs.
public struct DatabaseSettings: Sendable {
    public var path: String
    public var readers: Int
    public var busyTimeoutMilliseconds: Int
    public var autoMigrate: Bool
    public var migrationsDirectory: String

    init(_ config: ValidatingReader) throws(ConfigError) {
        path = try config.string("database.path")
        readers = try config.int("database.readers", in: 1...64)
        busyTimeoutMilliseconds = try config.int("database.busy_timeout_ms", in: 0...600_000)
        autoMigrate = try config.bool("database.auto_migrate")
        migrationsDirectory = try config.string("migrations.dir")
    }

    /// Only the database's keys (and the log's), for the commands that touch nothing else.
    public static func load(
        directory: String,
        overrides: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> (DatabaseSettings, LogSettings) {
        let config = try await ValidatingReader.load(directory: directory, overrides: overrides, environment: environment)
        return (try DatabaseSettings(config), try LogSettings(config))
    }
}
