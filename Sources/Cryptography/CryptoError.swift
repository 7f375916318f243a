/// Failures of the symmetric primitives. Cases carry at most a length, never key,
/// nonce or message bytes, so they are safe to log and to show in test output.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The associated value is the length that was supplied.
    case invalidKeyLength(Int)
    case invalidBase64
    /// Wrong key, or ciphertext, tag, nonce or associated data changed since sealing.
    case authenticationFailed
    case malformedSealedBox

    public var description: String {
        switch self {
        case .invalidKeyLength(let count): "key must be \(SymmetricKey.byteCount) bytes, got \(count)"
        case .invalidBase64: "not valid base64"
        case .authenticationFailed: "authentication failed"
        case .malformedSealedBox: "sealed box has the wrong nonce, tag or overall length"
        }
    }
}
