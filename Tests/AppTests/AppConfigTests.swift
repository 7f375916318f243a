@testable import App
import Testing

struct AppConfigTests {
    static let configDirectory = repositoryRoot + "/config"

    @Test func readsDefaultsFromTheConfigFolder() async throws {
        let config = try await AppConfig.load(directory: Self.configDirectory, environment: [:])
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 8080)
        #expect(config.databasePath == "./data/fullscript-redirect.sqlite")
        #expect(config.publicDirectory == "./Public")
        #expect(config.server.limits.maxBodySize == 1 << 20)
        #expect(config.autoMigrate)
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() async throws {
        let environment = ["PORT": "9000", "HOST": "0.0.0.0", "DATABASE_PATH": "/tmp/x.sqlite", "PUBLIC_DIR": "/srv", "HTTP_MAX_CONNECTIONS": "42"]
        let fromEnvironment = try await AppConfig.load(directory: Self.configDirectory, environment: environment)
        #expect(fromEnvironment.server.port == 9000)
        #expect(fromEnvironment.server.host == "0.0.0.0")
        #expect(fromEnvironment.databasePath == "/tmp/x.sqlite")
        #expect(fromEnvironment.publicDirectory == "/srv")
        #expect(fromEnvironment.server.maxConnections == 42)
        let fromFlags = try await AppConfig.load(directory: Self.configDirectory, overrides: ["port": "9100"], environment: environment)
        #expect(fromFlags.server.port == 9100)
    }

    @Test(arguments: [
        ("PORT", "eighty", "port"), ("PORT", "70000", "port"), ("LOG_LEVEL", "loud", "log.level"),
        ("DATABASE_AUTO_MIGRATE", "maybe", "database.auto_migrate"), ("HTTP_IDLE_TIMEOUT_MS", "0", "http.idle_timeout_ms"),
    ])
    func rejectsBadValuesNamingTheKey(variable: String, value: String, key: String) async throws {
        let error = await #expect(throws: ConfigError.self) {
            try await AppConfig.load(directory: Self.configDirectory, environment: [variable: value])
        }
        #expect(error?.key == key)
        #expect(error?.description.contains(variable) == true)
    }

    @Test func failsClearlyWithoutTheConfigFile() async throws {
        let error = await #expect(throws: ConfigError.self) {
            try await AppConfig.load(directory: "/nonexistent", environment: [:])
        }
        #expect(error?.description.contains("/nonexistent/default.json") == true)
    }
}

let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 {
        path = String(path[..<path.lastIndex(of: "/")!])
    }
    return path
}()
