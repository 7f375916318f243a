@testable import App
import Foundation
import Logging
import ServerTesting
import Store
import Testing

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
            "FULLSCRIPT_CLIENT_ID": "test-client",
            "FULLSCRIPT_CLIENT_SECRET": "test-secret",
            "FULLSCRIPT_REDIRECT_URI": "https://ehr.example/oauth/fullscript/callback",
            "TOKEN_ENCRYPTION_KEY": Data(repeating: 7, count: 32).base64EncodedString(),
            "EHR_LAUNCH_SECRET": launchSecret,
            "FULLSCRIPT_WEBHOOK_CHALLENGE": webhookChallenge,
            "FULLSCRIPT_WEBHOOK_SECRET": webhookSecret,
        ]
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func withApplication(_ config: AppConfig, _ body: (Application) async throws -> Void) async throws {
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

    @Test func servesHealthReadinessAndTheFrontEnd() async throws {
        try await withApplication(try await config()) { application in
            let client = try TestClient(port: application.port)
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let health = try client.readResponse()
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            client.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == #"{"status":"ready"}"#)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let page = try client.readResponse()
            #expect(page.status == 200)
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.text.contains("fullscript-redirect"))
        }
    }

    @Test func createsTheDatabaseAndAppliesMigrationsAtStart() async throws {
        let config = try await config()
        try await withApplication(config) { _ in }
        let report = try await MigrationCommand.run(config: config, statusOnly: true)
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
        let file = migrations.appendingPathComponent("0001_audit_log.sql")
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
            let client = try TestClient(port: application.port)
            client.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 503)
            #expect(response.text.contains("not applied"))
        }
    }
}
