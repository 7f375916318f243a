@testable import App
import Cryptography
import Foundation
import Testing
import Fullscript
import HTTP1
import HTTPClient
import Server

struct AppConfigTests {
    static let configDirectory = repositoryRoot + "/config"
    /// What every start needs besides config/default.json: Fullscript credentials, the token key and the launch secret.
    static let required = [
        "FULLSCRIPT_CLIENT_ID": "client", "FULLSCRIPT_CLIENT_SECRET": "secret",
        "FULLSCRIPT_REDIRECT_URI": "https://ehr.example/oauth/fullscript/callback",
        "TOKEN_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "EHR_LAUNCH_SECRET": "a-launch-secret-of-at-least-32-bytes!",
    ]

    static func load(_ environment: [String: String], overrides: [String: String] = [:]) async throws -> AppConfig {
        try await AppConfig.load(directory: configDirectory, overrides: overrides, environment: required.merging(environment) { _, new in new })
    }

    @Test func readsDefaultsFromTheConfigFolder() async throws {
        let config = try await Self.load([:])
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 8080)
        #expect(config.database.path == "./data/fullscript-redirect.sqlite")
        #expect(config.publicDirectory == "./Public")
        #expect(config.server.limits.maxBodySize == 16 * 1024)
        #expect(config.server.maxBufferedBodyBytes == 32 << 20)
        #expect(config.server.bodyTimeout == .seconds(15))
        #expect(config.database.autoMigrate)
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() async throws {
        let environment = ["PORT": "9000", "HOST": "0.0.0.0", "DATABASE_PATH": "/tmp/x.sqlite", "PUBLIC_DIR": "/srv", "HTTP_MAX_CONNECTIONS": "42"]
        let fromEnvironment = try await Self.load(environment)
        #expect(fromEnvironment.server.port == 9000)
        #expect(fromEnvironment.server.host == "0.0.0.0")
        #expect(fromEnvironment.database.path == "/tmp/x.sqlite")
        #expect(fromEnvironment.publicDirectory == "/srv")
        #expect(fromEnvironment.server.maxConnections == 42)
        let fromFlags = try await Self.load(environment, overrides: ["port": "9100"])
        #expect(fromFlags.server.port == 9100)
    }

    @Test(arguments: [
        ("PORT", "eighty", "port"), ("PORT", "70000", "port"), ("LOG_LEVEL", "loud", "log.level"),
        ("DATABASE_AUTO_MIGRATE", "maybe", "database.auto_migrate"), ("HTTP_IDLE_TIMEOUT_MS", "0", "http.idle_timeout_ms"),
        ("FULLSCRIPT_MAX_CONNECTIONS", "0", "fullscript.max_connections"),
        ("FULLSCRIPT_CLICK_TIMEOUT_MS", "99", "fullscript.click_timeout_ms"), ("FULLSCRIPT_CLICK_TIMEOUT_MS", "soon", "fullscript.click_timeout_ms"),
        ("HTTP_BODY_TIMEOUT_MS", "0", "http.body_timeout_ms"), ("HTTP_MAX_BUFFERED_BODY_BYTES", "1000", "http.max_buffered_body_bytes"),
    ])
    func rejectsBadValuesNamingTheKey(variable: String, value: String, key: String) async throws {
        let error = await #expect(throws: ConfigError.self) {
            try await Self.load([variable: value])
        }
        #expect(error?.key == key)
        #expect(error?.description.contains(variable) == true)
    }

    @Test func previousTokenKeysComeFromAFileLikeEveryOtherSecret() throws {
        let oldBytes = SecureRandom.bytes(count: 32)
        let old = try SymmetricKey(bytes: oldBytes)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("previous-\(UUID().uuidString)")
        try (Data(oldBytes).base64EncodedString() + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let sealedUnderOld = TokenKeyRing(current: old).seal("token", field: "access_token", user: EHRUser(id: "u"))
        let ring = try TokenKeyRing.fromEnvironment([
            "TOKEN_ENCRYPTION_KEY": Self.required["TOKEN_ENCRYPTION_KEY"]!, "TOKEN_ENCRYPTION_PREVIOUS_KEYS_FILE": file.path,
        ])
        #expect(try ring.open(sealedUnderOld, keyID: old.fingerprint, field: "access_token", user: EHRUser(id: "u")) == "token")
    }

    @Test func readsFullscriptSettingsAndTheTokenKey() async throws {
        let config = try await Self.load([:])
        #expect(config.fullscript.environment == .usSandbox)
        #expect(config.fullscript.timeout == .seconds(10))
        #expect(config.fullscript.clickTimeout == .seconds(15), "a click waits longer than a background call: a person is watching")
        #expect(config.fullscript.endpoints.apiBaseURL.hasPrefix("https://api-us-snd.fullscript.io"))
        #expect(config.fullscript.credentials.clientSecret == "secret")
        #expect(!"\(config.fullscript.credentials)".contains("secret"))
        #expect(config.tokenKeys.current.bitCount == 256)
        #expect(config.fullscript.httpClientConfiguration.maxConnectionsPerOrigin == 256)
        let wider = try await Self.load(["FULLSCRIPT_MAX_CONNECTIONS": "1000"])
        #expect(wider.fullscript.httpClientConfiguration.maxConnectionsPerOrigin == 1000)
    }

    @Test(arguments: [
        (["TOKEN_ENCRYPTION_KEY": ""], "token_encryption_key"),
        (["TOKEN_ENCRYPTION_KEY": "c2hvcnQ="], "token_encryption_key"),
        (["FULLSCRIPT_CLIENT_SECRET": ""], "fullscript_client_secret"),
        (["FULLSCRIPT_CLIENT_ID": ""], "fullscript.client_id"),
        (["FULLSCRIPT_ENVIRONMENT": "moon"], "fullscript.environment"),
        (["FULLSCRIPT_ENVIRONMENT": "custom"], "fullscript.api_base_url"),
        (["FULLSCRIPT_API_BASE_URL": "http://api.example/api"], "fullscript.api_base_url"),
        (["FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": "http://api.example/api",
          "FULLSCRIPT_AUTHORIZE_URL": "http://api.example/api/oauth/authorize"], "fullscript.api_base_url"),
        (["FULLSCRIPT_REDIRECT_URI": "/callback"], "fullscript.redirect_uri"),
    ])
    func refusesToStartWithoutValidFullscriptSettings(environment: [String: String], key: String) async throws {
        let error = await #expect(throws: ConfigError.self) { try await Self.load(environment) }
        #expect(error?.key == key)
    }

    /// The demo sign-in lets anyone sign in as a seeded EHR user: against production Fullscript the
    /// server must not start with it, and must say which two settings disagree.
    @Test(arguments: [
        ["FULLSCRIPT_ENVIRONMENT": "us-production"],
        ["FULLSCRIPT_ENVIRONMENT": "ca-production"],
        // Production reached through a custom environment, or a sandbox one with its URL overridden, is production too.
        ["FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": "https://api-us.fullscript.com/api",
         "FULLSCRIPT_AUTHORIZE_URL": "https://api-us.fullscript.com/api/oauth/authorize"],
        ["FULLSCRIPT_API_BASE_URL": "https://API-CA.fullscript.com./api"],
    ])
    func refusesTheDemoSignInAgainstProduction(environment: [String: String]) async throws {
        let error = await #expect(throws: ConfigError.self) {
            try await Self.load(environment.merging(["EHR_DEMO_SIGN_IN": "true"]) { _, new in new })
        }
        #expect(error?.key == "ehr.demo_sign_in")
        for name in ["ehr.demo_sign_in", "EHR_DEMO_SIGN_IN", "fullscript.environment", "FULLSCRIPT_ENVIRONMENT"] {
            #expect(error?.description.contains(name) == true, "\(name) in \(error.map(String.init(describing:)) ?? "")")
        }
        // The same production settings start without the demo sign-in.
        #expect(try await Self.load(environment).ehr.demoSignIn == false)
    }

    @Test func allowsTheDemoSignInAgainstASandboxOrTheSimulator() async throws {
        #expect(try await Self.load(["EHR_DEMO_SIGN_IN": "true"]).ehr.demoSignIn)
        #expect(try await Self.load(["EHR_DEMO_SIGN_IN": "true", "FULLSCRIPT_ENVIRONMENT": "ca-sandbox"]).ehr.demoSignIn)
        #expect(try await Self.load([
            "EHR_DEMO_SIGN_IN": "true", "FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": "http://127.0.0.1:8090/api",
            "FULLSCRIPT_AUTHORIZE_URL": "http://localhost:8090/api/oauth/authorize",
        ]).ehr.demoSignIn)
    }

    @Test func readsSecretsFromFilesAsDocumented() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("key")
        let secret = directory.appendingPathComponent("secret")
        try Data("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n".utf8).write(to: key)
        try Data("from-a-file\n".utf8).write(to: secret)
        let config = try await Self.load([
            "TOKEN_ENCRYPTION_KEY": "", "TOKEN_ENCRYPTION_KEY_FILE": key.path,
            "FULLSCRIPT_CLIENT_SECRET": "", "FULLSCRIPT_CLIENT_SECRET_FILE": secret.path,
        ])
        #expect(config.fullscript.credentials.clientSecret == "from-a-file")
        #expect(config.tokenKeys.current == (try SymmetricKey(bytes: [UInt8](repeating: 1, count: 32))))
    }

    @Test func allowsPlainHTTPOnlyToALoopbackSimulator() async throws {
        let config = try await Self.load([
            "FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": "http://127.0.0.1:8090/api",
            "FULLSCRIPT_AUTHORIZE_URL": "http://127.0.0.1:8090/api/oauth/authorize",
        ])
        #expect(config.fullscript.endpoints.apiBaseURL == "http://127.0.0.1:8090/api")
    }

    @Test func keepsASubcommandsValueWhenTheFlagIsNotGiven() {
        let demo = ["database.path": "./data/demo.sqlite"]
        #expect(AppConfig.overrides(flags: ["database.path": nil, "port": "9000"], subcommandDefaults: demo)
            == ["database.path": "./data/demo.sqlite", "port": "9000"])
        #expect(AppConfig.overrides(flags: ["database.path": "/tmp/mine.sqlite"], subcommandDefaults: demo)
            == ["database.path": "/tmp/mine.sqlite"])
    }

    @Test func failsClearlyWithoutTheConfigFile() async throws {
        let error = await #expect(throws: ConfigError.self) {
            try await AppConfig.load(directory: "/nonexistent", environment: [:])
        }
        #expect(error?.description.contains("/nonexistent/default.json") == true)
    }
}
