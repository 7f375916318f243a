import Foundation
import Fullscript
import HTTPClient
import Logging

/// Secrets come from the environment or from a file named by `NAME_FILE` (Docker and Kubernetes
/// secrets), never from `config/`.
enum Secret {
    static func read(_ name: String, from environment: [String: String]) throws(ConfigError) -> String {
        guard let value = try optional(name, from: environment) else {
            throw ConfigError(key: name.lowercased(), problem: "not set: give it in \(name) or a file named by \(name)_FILE")
        }
        return value
    }

    /// nil when neither `NAME` nor `NAME_FILE` is set (or either is empty).
    static func optional(_ name: String, from environment: [String: String]) throws(ConfigError) -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        if let path = environment[name + "_FILE"], !path.isEmpty {
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError(key: name.lowercased(), problem: "cannot read the file named by \(name)_FILE")
            }
            let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }
        return nil
    }
}
