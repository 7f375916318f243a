@testable import App
import Foundation
import Logging
import ServerTesting
import Store
import Testing
import Server

/// One test at a time: some set the process's umask, which every thread shares.
@Suite(.serialized)
struct ApplicationTests {
    let directory: URL
    let migrations: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
        migrations = directory.appendingPathComponent("Migrations")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: repositoryRoot + "/Migrations"), to: migrations)
    }

    func config(autoMigrate: Bool = true) async throws -> AppConfig {
        var environment = Self.environment(directory)
        environment["MIGRATIONS_DIR"] = migrations.path
        environment["DATABASE_AUTO_MIGRATE"] = autoMigrate ? "true" : "false"
        var config = try await AppConfig.load(directory: repositoryRoot + "/config", environment: environment)
        config.server.shutdownGracePeriod = .seconds(1)
        return config
    }

    /// `migrate` and `service-keys` never talk to Fullscript or sign anyone in, so they run with the
    /// database's settings alone (seen: they refused to run without FULLSCRIPT_CLIENT_ID).
    @Test func migrateAndServiceKeysNeedOnlyTheDatabaseSettings() async throws {
        let environment = ["DATABASE_PATH": directory.appendingPathComponent("only.sqlite").path, "MIGRATIONS_DIR": migrations.path]
        await #expect(throws: ConfigError.self) {
            try await AppConfig.load(directory: repositoryRoot + "/config", environment: environment)
        }
        let (database, _) = try await DatabaseSettings.load(directory: repositoryRoot + "/config", environment: environment)
        #expect(try await MigrationCommand.run(database: database, statusOnly: true).contains("pending  0001_audit_log.sql"))
        #expect(try await MigrationCommand.run(database: database, statusOnly: false).contains("applied  0001_audit_log.sql"))
        let created = try await ServiceKeyCommand(database: database, logger: Self.quietLogger).create(name: "ehr-sync")
        #expect(created.contains("Created service key 'ehr-sync'"))
    }

    /// A complete environment for a test instance with its files under `directory`.
    static let launchSecret = "test-launch-secret-0123456789abcdef-0123"
    static let webhookChallenge = "test-webhook-challenge"
    static let webhookSecret = "test-webhook-signature-secret"

    static func environment(_ directory: URL) -> [String: String] {
        [
            "PORT": "0",
            "DATABASE_PATH": directory.appendingPathComponent("db/app.sqlite").path,
            "PUBLIC_DIR": repositoryRoot + "/Public",
            "MIGRATIONS_DIR": repositoryRoot + "/Migrations",
            "HTTP_EVENT_LOOPS": "1",
            // No load balancer polls a test's /readyz: each test stops at once (one that tests the delay sets its own).
            "HTTP_SHUTDOWN_DELAY_MS": "0",
            "FULLSCRIPT_CLIENT_ID": "test-client",
            "FULLSCRIPT_CLIENT_SECRET": "test-secret",
            "FULLSCRIPT_REDIRECT_URI": "https://ehr.example/oauth/fullscript/callback",
            "TOKEN_ENCRYPTION_KEY": Data(repeating: 7, count: 32).base64EncodedString(),
            "EHR_LAUNCH_SECRET": launchSecret,
            "FULLSCRIPT_WEBHOOK_CHALLENGE": webhookChallenge,
            "FULLSCRIPT_WEBHOOK_SECRET": webhookSecret,
        ].merging(TestDatabase.environment(for: directory)) { _, store in store }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func withApplication(_ config: AppConfig, _ body: (Application) async throws -> Void) async throws {
        try await TestSlots.run {
            let application = try await Application(config: config, logger: Self.quietLogger)
            try application.start()
            do {
                try await body(application)
            } catch {
                await application.shutdown()
                throw error
            }
            await application.shutdown()
        }
    }

    @Test func servesHealthReadinessAndTheFrontEnd() async throws {
        try await withApplication(try await config()) { application in
            let client = try await TestClient(port: application.port)
            await client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let health = try await client.readResponse()
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            await client.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == #"{"status":"ready"}"#)
            await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let page = try await client.readResponse()
            #expect(page.status == 200)
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.text.contains("fullscript-redirect"))
        }
    }

    @Test func createsTheDatabaseAndAppliesMigrationsAtStart() async throws {
        let config = try await config()
        try await withApplication(config) { _ in }
        let report = try await MigrationCommand.run(database: config.database, statusOnly: true)
        #expect(report.contains("applied  0001_audit_log.sql"))
        #expect(!report.contains("pending"))
    }

    @Test func refusesToStartBehindWhenAutoMigrationIsOff() async throws {
        let error = await #expect(throws: StartupError.self) {
            _ = try await Application(config: try await config(autoMigrate: false), logger: Self.quietLogger)
        }
        #expect(error?.description.contains("fullscript-redirect migrate") == true)
    }

    @Test func refusesToStartWhenAnAppliedMigrationChanged() async throws {
        let config = try await config()
        try await withApplication(config) { _ in }
        let file = migrations.appendingPathComponent("sqlite/0001_audit_log.sql")
        try Data("-- edited\n".utf8 + Data(contentsOf: file)).write(to: file)
        await #expect(throws: (any Error).self) {
            _ = try await Application(config: config, logger: Self.quietLogger)
        }
    }

    @Test func readinessFailsWhileAMigrationIsPending() async throws {
        let config = try await config()
        try await withApplication(config) { application in
            // As when a database is restored from a backup older than the running build.
            _ = try await application.database.write { try $0.execute("DELETE FROM schema_migrations") }
            let client = try await TestClient(port: application.port)
            await client.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 503)
            #expect(response.text.contains("not applied"))
        }
    }

    /// The database holds patients' names and emails and sealed Fullscript tokens: whatever the
    /// umask, its folder is 0700 and the database and its -wal and -shm files are 0600.
    @Test func keepsTheDatabaseFilesToItselfWhateverTheUmask() async throws {
        try await withUmask(0o022) {
            let config = try await config()
            let folder = (config.database.path as NSString).deletingLastPathComponent
            try await withApplication(config) { application in
                _ = try await application.database.write { try $0.execute("INSERT INTO audit_log (occurred_at, actor, action, outcome) VALUES ('t', 'a', 'b', 'c')") }
                Self.expectOwnerOnly(folder: folder, database: config.database.path)
            }
        }
    }

    static func expectOwnerOnly(folder: String, database: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(mode(folder) == 0o700, sourceLocation: sourceLocation)
        for suffix in ["", "-wal", "-shm"] {
            #expect(mode(database + suffix) == 0o600, "\(suffix.isEmpty ? "database" : suffix)", sourceLocation: sourceLocation)
        }
    }

    /// Files a previous version left readable are tightened at start, -wal and -shm included (those
    /// are kept while another connection, here a backup, has the database open).
    @Test func tightensTheDatabaseFilesAnEarlierRunLeftOpen() async throws {
        try await withUmask(0o022) {
            let config = try await config()
            let folder = (config.database.path as NSString).deletingLastPathComponent
            try await withApplication(config) { _ in }
            let backup = try SQLiteConnection(path: config.database.path, busyTimeout: .milliseconds(100))
            defer { backup.close() }
            _ = try backup.execute("INSERT INTO audit_log (occurred_at, actor, action, outcome) VALUES ('t', 'a', 'b', 'c')")
            chmod(folder, 0o755)
            for suffix in ["", "-wal", "-shm"] { chmod(config.database.path + suffix, 0o644) }
            try await withApplication(config) { _ in
                Self.expectOwnerOnly(folder: folder, database: config.database.path)
            }
        }
    }

    /// A folder that is not the server's alone (here one with other folders in it) keeps its mode;
    /// the database's own files are still 0600.
    @Test func leavesAFolderThatIsNotItsOwnAlone() async throws {
        try await withUmask(0o022) {
            var config = try await config()
            chmod(directory.path, 0o755)
            config.database.path = directory.appendingPathComponent("app.sqlite").path
            try await withApplication(config) { _ in
                #expect(Self.mode(directory.path) == 0o755)
                #expect(Self.mode(config.database.path) == 0o600)
            }
        }
    }

    /// The permission bits of `path`, nil when it does not exist.
    static func mode(_ path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }

    /// Runs `body` with the process's umask set to `mask`, then puts the old one back.
    func withUmask(_ mask: mode_t, _ body: () async throws -> Void) async throws {
        let old = umask(mask)
        defer { umask(old) }
        try await body()
    }
}
