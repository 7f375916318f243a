@testable import App
import Crypto
import Foundation
import Fullscript
import Testing

struct DoctorTests {
    @Test func aHealthyDeploymentPassesEveryCheck() async throws {
        let harness = try await ConnectedHarness.sessions()
        defer { Task { await harness.stop() } }
        try harness.connect(session: try harness.signIn())
        let findings = await Doctor.examine(harness.application.config, logger: ApplicationTests.quietLogger)
        #expect(findings.allSatisfy { $0.ok }, "\(findings)")
        let text = findings.map(\.description).joined(separator: "\n")
        for expected in ["integrity_check ok", "migrations: all applied", "opens all 1 stored connection", "answered (HTTP"] {
            #expect(text.contains(expected), "\(text)")
        }
    }

    @Test func saysWhatToFix() async throws {
        let harness = try await ConnectedHarness.sessions()
        defer { Task { await harness.stop() } }
        try harness.connect(session: try harness.signIn())
        var config = harness.application.config
        config.tokenKeys = try TokenKeyRing.fromEnvironment(["TOKEN_ENCRYPTION_KEY": Data(SecureRandom.bytes(count: 32)).base64EncodedString()])
        config.fullscript.endpoints = FullscriptEndpoints(apiBaseURL: "http://127.0.0.1:9/api", authorizeURL: "http://127.0.0.1:9/authorize")
        let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
        let bad = findings.filter { !$0.ok }
        #expect(bad.count == 2, "\(findings)")
        #expect(bad.contains { $0.what.hasPrefix("encryption key: 1 of 1") && $0.fix.contains("TOKEN_ENCRYPTION_PREVIOUS_KEYS") })
        #expect(bad.contains { $0.what.hasPrefix("Fullscript: http://127.0.0.1:9/api unreachable") })

        config.databasePath = harness.directory.appendingPathComponent("missing/none.sqlite").path
        let missing = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
        #expect(missing.contains { !$0.ok && $0.what.contains("does not exist") && $0.fix.contains("migrate") })
        #expect(!FileManager.default.fileExists(atPath: config.databasePath), "the doctor creates nothing")
    }
}
