public import Cryptography
import Foundation

/// The keys that seal OAuth tokens at rest: the current one seals, the current and previous
/// ones open, so `TOKEN_ENCRYPTION_KEY` can be rotated without disconnecting anyone.
public struct TokenKeyRing: Sendable {
    public let current: SymmetricKey
    private let byFingerprint: [String: SymmetricKey]
    /// Shared by the copies of this ring: a click opens the tokens it opened last time from memory.
    let opened = OpenedTokens()

    public init(current: SymmetricKey, previous: [SymmetricKey] = []) {
        self.current = current
        var keys: [String: SymmetricKey] = [:]
        for key in previous + [current] {
            keys[key.fingerprint] = key
        }
        byFingerprint = keys
    }

    /// `TOKEN_ENCRYPTION_KEY` (base64 of 32 bytes, e.g. `openssl rand -base64 32`) and, during a
    /// rotation, `TOKEN_ENCRYPTION_PREVIOUS_KEYS` (comma-separated, same form); each also from a file
    /// named by `NAME_FILE`, as the old keys are as secret as the current one.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigError) -> TokenKeyRing {
        let text: String
        do {
            text = try Secret.read("TOKEN_ENCRYPTION_KEY", from: environment)
        } catch {
            throw ConfigError(key: "token_encryption_key", problem: error.problem + " (32 random bytes in base64, e.g. `openssl rand -base64 32`)")
        }
        let current = try parse(text, name: "token_encryption_key")
        let previous = try (try Secret.optional("TOKEN_ENCRYPTION_PREVIOUS_KEYS", from: environment) ?? "")
            .split(separator: ",")
            .map { piece throws(ConfigError) in try parse(String(piece), name: "token_encryption_previous_keys") }
        return TokenKeyRing(current: current, previous: previous)
    }

    private static func parse(_ text: String, name: String) throws(ConfigError) -> SymmetricKey {
        do {
            return try SymmetricKey(base64: text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw ConfigError(key: name, problem: "must be 32 bytes in standard base64 (\(error))")
        }
    }

    /// `field`, the user id and its tenant are bound in as associated data.
    func seal(_ token: String, field: String, user: EHRUser) -> [UInt8] {
        AESGCM.seal(Array(token.utf8), key: current, authenticating: Self.context(field: field, user: user)).combined
    }

    func open(_ sealed: [UInt8], keyID: String, field: String, user: EHRUser) throws -> String {
        guard let key = byFingerprint[keyID] else { throw TokenVaultError.unknownKey(keyID) }
        let context = Self.context(field: field, user: user)
        return try opened.token(for: OpenedTokens.Key(sealed: sealed, keyID: keyID, context: context)) {
            let bytes = try AESGCM.open(try AESGCM.SealedBox(combined: sealed), key: key, authenticating: context)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The default tenant's context is what it was before tenants, so tokens sealed then still open.
    /// Others append the tenant after a NUL, which no user id holds (launch tokens refuse control
    /// characters), so no (tenant, user) pair shares another's context.
    private static func context(field: String, user: EHRUser) -> [UInt8] {
        let tenant = user.tenant == Tenant.defaultID ? "" : "\u{0}" + user.tenant
        return Array("fullscript-redirect/\(field)/\(user.id)\(tenant)".utf8)
    }
}
