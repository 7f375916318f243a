@testable import App
import Foundation
import Testing

/// `DATABASE_URL` picks PostgreSQL, and its password never reaches what an operator or a log sees.
struct DatabaseSelectionTests {
    static let password = "pw-0f5e1c-never-shown"
    /// Nothing listens on port 1: the connection is refused at once.
    static let url = "postgres://fsr:\(password)@127.0.0.1:1/fsr?connect_timeout=2"

    private func settings(_ environment: [String: String]) async throws -> DatabaseSettings {
        try await DatabaseSettings.load(directory: repositoryRoot + "/config", environment: environment).0
    }

    @Test func withoutAURLTheStoreIsSQLite() async throws {
        let settings = try await settings(["DATABASE_PATH": "/tmp/unused.sqlite"])
        #expect(settings.postgres == nil)
    }

    @Test func theURLComesFromTheEnvironmentOrAFileAndPrintsRedacted() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("database-url-\(UUID().uuidString)")
        try (Self.url + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        for environment in [["DATABASE_URL": Self.url], ["DATABASE_URL_FILE": file.path]] {
            let postgres = try #require(try await settings(environment).postgres)
            for text in ["\(postgres)", String(reflecting: postgres), "\(try await settings(environment))"] {
                #expect(!text.contains(Self.password), "the password shows in \(text)")
            }
            #expect("\(postgres)".contains("host=127.0.0.1"))
        }
    }

    /// A server that cannot be reached fails the start, `migrate` and `doctor` with words that name it
    /// but not its password.
    @Test func anUnreachableServerIsReportedWithoutThePassword() async throws {
        let settings = try await settings(["DATABASE_URL": Self.url])
        let error = #expect(throws: (any Error).self) { try Application.openDatabase(settings) }
        #expect(!"\(String(describing: error))".contains(Self.password))
        #expect("\(String(describing: error))".contains("127.0.0.1"))
        await #expect(throws: (any Error).self) { try await MigrationCommand.run(database: settings, statusOnly: true) }
        let environment = ApplicationTests.environment(FileManager.default.temporaryDirectory).merging(["DATABASE_URL": Self.url]) { _, url in url }
        let config = try await AppConfig.load(directory: repositoryRoot + "/config", environment: environment)
        let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
        let database = try #require(findings.first { $0.what.hasPrefix("database:") })
        #expect(!database.ok && !database.what.contains(Self.password) && !database.fix.contains(Self.password))
        #expect(!findings.contains { $0.what.contains("database files") })
    }
}
