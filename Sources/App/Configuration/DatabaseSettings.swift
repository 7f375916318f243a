public import Foundation
public import PostgresStore

/// Where the database lives and how it is opened: all that `migrate` and `service-keys` need, so
/// they run without the Fullscript and EHR settings the server needs.
public struct DatabaseSettings: Sendable {
    /// The SQLite file, when no PostgreSQL is configured.
    public var path: String
    /// PostgreSQL when set: `DATABASE_URL` (or a file named by `DATABASE_URL_FILE`) or `database.url`.
    /// Any libpq connection string; its password is redacted in every textual form.
    public var postgres: PostgresConnectionString?
    /// PostgreSQL's connections per process opened at start.
    public var poolSize: Int
    /// PostgreSQL's connections for requests' brief reads and writes, on each event loop (and one more loop's worth
    /// for background work), opened when first needed.
    public var loopConnections: Int
    public var statementTimeoutMilliseconds: Int
    public var readers: Int
    public var busyTimeoutMilliseconds: Int
    public var autoMigrate: Bool
    public var migrationsDirectory: String

    init(_ config: ValidatingReader, environment: [String: String]) throws(ConfigError) {
        path = try config.string("database.path")
        // The URL may carry a password, so it is read like the other secrets; a file in config/ names none.
        let configuredURL = try config.optionalString("database.url")
        if let url = try Secret.optional("DATABASE_URL", from: environment) ?? configuredURL {
            do {
                postgres = try PostgresConnectionString(url)
            } catch {
                throw ConfigError(key: "database.url", problem: error.message)
            }
        }
        poolSize = try config.int("database.pool_size", in: 1...1000)
        loopConnections = try config.int("database.loop_connections", in: 1...64)
        statementTimeoutMilliseconds = try config.int("database.statement_timeout_ms", in: 0...3_600_000)
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
        return (try DatabaseSettings(config, environment: environment), try LogSettings(config))
    }
}
