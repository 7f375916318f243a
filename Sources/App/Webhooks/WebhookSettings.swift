import Cryptography
import Foundation

/// The two secrets of Fullscript's Webhook Settings, read like every other secret (environment or
/// `NAME_FILE`, never `config/`).
public struct WebhookSettings: Sendable, Equatable {
    /// Echoed to every delivery: `{"challenge": "<token>"}` is how Fullscript knows the event arrived.
    public var challenge: String
    /// Signature keys; during a rotation the old and the new one are both accepted.
    public var secrets: [String]

    public init(challenge: String, secrets: [String]) {
        self.challenge = challenge
        self.secrets = secrets
    }

    /// nil when neither is set (webhooks off); half a configuration is refused, since it can only
    /// be a mistake that would otherwise show up as every delivery failing.
    /// `prefix` names the app's variables: `FULLSCRIPT` (the single-region form) or `FULLSCRIPT_CA` / `FULLSCRIPT_US`.
    init?(_ environment: [String: String], prefix: String = "FULLSCRIPT") throws(ConfigError) {
        let challenge = try Secret.optional(prefix + "_WEBHOOK_CHALLENGE", from: environment)
        let secrets = try Secret.optional(prefix + "_WEBHOOK_SECRET", from: environment).map(Self.list) ?? []
        let key = prefix.lowercased().replacingOccurrences(of: "_", with: ".")
        switch (challenge, secrets.isEmpty) {
        case (nil, true):
            return nil
        case (nil, false):
            throw ConfigError(key: key + ".webhook_challenge",
                              problem: "not set while \(prefix)_WEBHOOK_SECRET is: set both (the secret challenge token from Webhook Settings) or neither")
        case (.some, true):
            throw ConfigError(key: key + ".webhook_secret",
                              problem: "not set while \(prefix)_WEBHOOK_CHALLENGE is: set both (the Fullscript-Signature secret key) or neither")
        case (.some(let challenge), false):
            self.init(challenge: challenge, secrets: secrets)
        }
    }

    /// Comma-separated, so a rotation is one variable holding the new and the old key.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
