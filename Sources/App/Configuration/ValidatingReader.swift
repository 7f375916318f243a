import Configuration
import Foundation
import HTTP1
import Logging
import Server
import SystemPackage

/// Reads required keys and turns swift-configuration's failures into errors naming the key.
struct ValidatingReader {
    let reader: ConfigReader

    /// `config/default.json`, under the environment, under the flags given as `overrides` (by key).
    static func load(directory: String, overrides: [String: String], environment: [String: String]) async throws -> ValidatingReader {
        let file: FileProvider<JSONSnapshot>
        do {
            file = try await FileProvider<JSONSnapshot>(filePath: FilePath(directory + "/default.json"))
        } catch {
            throw ConfigError(key: "-", problem: "cannot read \(directory)/default.json: \(error)")
        }
        // Flags arrive as text like environment variables do, so they are parsed by the same rules.
        let flags = EnvironmentVariablesProvider(environmentVariables: Dictionary(uniqueKeysWithValues: overrides.map { key, value in
            (environmentName(of: key), value)
        }))
        return ValidatingReader(reader: ConfigReader(providers: [flags, EnvironmentVariablesProvider(environmentVariables: environment), file]))
    }

    /// The environment variable that overrides a key, following swift-configuration's naming.
    static func environmentName(of key: String) -> String {
        String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    func string(_ key: String) throws(ConfigError) -> String {
        let value: String
        do {
            value = try reader.requiredString(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not text")
        }
        guard !value.isEmpty else { throw ConfigError(key: key, problem: "must not be empty") }
        return value
    }

    /// nil when unset or empty: `config/default.json` lists optional keys with "".
    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key)), !value.isEmpty else { return nil }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value: Int
        do {
            value = try reader.requiredInt(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not a whole number (\(describe(key)))")
        }
        guard range.contains(value) else {
            throw ConfigError(key: key, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws(ConfigError) -> Bool {
        do {
            return try reader.requiredBool(forKey: ConfigKey(key))
        } catch {
            throw ConfigError(key: key, problem: "missing or not true/false (\(describe(key)))")
        }
    }

    private func describe(_ key: String) -> String {
        reader.string(forKey: ConfigKey(key)).map { "got '\($0)'" } ?? "not set"
    }
}
