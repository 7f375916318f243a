import Store
import Cryptography

/// `fullscript-redirect tokens rotate-key`: after setting the new key in TOKEN_ENCRYPTION_KEY and
/// the old one in TOKEN_ENCRYPTION_PREVIOUS_KEYS, re-seals every stored token under the new key so
/// the old one can be dropped.
public enum TokenCommand {
    public static func rotateKey(config: AppConfig) async throws -> String {
        let database = try Application.openDatabase(config.database)
        defer { database.close() }
        let count = try await TokenVault.resealUnderCurrentKey(database: database, keys: config.tokenKeys)
        return "Re-sealed \(count) connection(s) under key \(config.tokenKeys.current.fingerprint). "
            + "TOKEN_ENCRYPTION_PREVIOUS_KEYS can now be emptied.\n"
    }
}
