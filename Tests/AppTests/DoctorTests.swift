@testable import App
import Cryptography
import Foundation
import Fullscript
import Testing

struct DoctorTests {
    @Test func aHealthyDeploymentPassesEveryCheck() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.connect(session: try await harness.signIn())
            let findings = await Doctor.examine(harness.application.config, logger: ApplicationTests.quietLogger)
            #expect(findings.allSatisfy { $0.ok }, "\(findings)")
            let text = findings.map(\.description).joined(separator: "\n")
            for expected in ["integrity_check ok", "migrations: all applied", "opens all 1 stored connection", "answered (HTTP",
                             "database files: folder 0700, database 0600, -wal 0600, -shm 0600"] {
                #expect(text.contains(expected), "\(text)")
            }
        }
    }

    @Test func saysWhatToFix() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.connect(session: try await harness.signIn())
            var config = harness.application.config
            config.tokenKeys = try TokenKeyRing.fromEnvironment(["TOKEN_ENCRYPTION_KEY": Data(SecureRandom.bytes(count: 32)).base64EncodedString()])
            config.fullscript.endpoints = FullscriptEndpoints(apiBaseURL: "http://127.0.0.1:9/api", authorizeURL: "http://127.0.0.1:9/authorize")
            let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            let bad = findings.filter { !$0.ok }
            #expect(bad.count == 2, "\(findings)")
            #expect(bad.contains { $0.what.hasPrefix("encryption key: 1 of 1") && $0.fix.contains("TOKEN_ENCRYPTION_PREVIOUS_KEYS") })
            #expect(bad.contains { $0.what.hasPrefix("Fullscript: http://127.0.0.1:9/api unreachable") })

            config.database.path = harness.directory.appendingPathComponent("missing/none.sqlite").path
            let missing = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            #expect(missing.contains { !$0.ok && $0.what.contains("does not exist") && $0.fix.contains("migrate") })
            #expect(!FileManager.default.fileExists(atPath: config.database.path), "the doctor creates nothing")
        }
    }

    /// Patient data readable by other local users is a failure doctor names, with the modes it saw;
    /// doctor changes nothing, so they are still loose afterwards.
    @Test func failsWhenTheDatabaseFilesAreReadableByOthers() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let config = harness.application.config
            let folder = (config.database.path as NSString).deletingLastPathComponent
            chmod(folder, 0o755)
            for suffix in ["", "-wal", "-shm"] { chmod(config.database.path + suffix, 0o644) }
            let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            let files = try #require(findings.first { $0.what.hasPrefix("database files:") }, "\(findings)")
            #expect(!files.ok)
            #expect(files.what.contains("folder 0755, database 0644, -wal 0644, -shm 0644"), "\(files)")
            #expect(files.fix.contains("chmod 700 \(folder)") && files.fix.contains("chmod 600"), "\(files)")
            #expect(ApplicationTests.mode(folder) == 0o755 && ApplicationTests.mode(config.database.path) == 0o644, "doctor changes nothing")
        }
    }

    /// A folder the server must not chmod (here one with other folders in it) is a warning, not a failure, when its files are 0600.
    @Test func warnsWhenTheDatabaseFolderIsNotItsOwn() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            var config = harness.application.config
            chmod(harness.directory.path, 0o755)
            config.database.path = harness.directory.appendingPathComponent("elsewhere.sqlite").path
            _ = try await MigrationCommand.run(database: config.database, statusOnly: false)
            let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            let files = try #require(findings.first { $0.what.hasPrefix("database files:") }, "\(findings)")
            #expect(files.ok, "\(files)")
            #expect(files.what.contains("folder 0755") && files.what.contains("database 0600"), "\(files)")
            #expect(files.what.contains("not the server's own") && files.fix.contains("folder of its own"), "\(files)")
            #expect(files.description.hasPrefix("! "), "\(files)")
        }
    }
}
