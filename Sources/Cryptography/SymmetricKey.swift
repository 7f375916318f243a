internal import Foundation

/// A 256-bit key for `AESGCM`. The bytes stay inside this module and the key
/// prints as "SymmetricKey(256 bits)", so logging a configuration, an error or a
/// failed test expectation never reveals it.
public struct SymmetricKey: Sendable {
    public static let byteCount = 32

    let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw .invalidKeyLength(bytes.count) }
        self.bytes = Array(bytes)
    }

    /// Standard padded base64 (RFC 4648 §4), the form `openssl rand -base64 32`
    /// prints and `TOKEN_ENCRYPTION_KEY` holds.
    public init(base64: String) throws(CryptoError) {
        guard let data = Data(base64Encoded: base64) else { throw .invalidBase64 }
        try self.init(bytes: data)
    }

    public static func random() -> SymmetricKey {
        SymmetricKey(unchecked: SecureRandom.bytes(count: byteCount))
    }

    private init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var bitCount: Int { bytes.count * 8 }

    /// Names the key in stored records so the right one is picked after a rotation; the first
    /// 8 bytes of its SHA-256 reveal nothing usable about the key.
    public var fingerprint: String { Hex.encode(SHA256.hash(bytes).prefix(8)) }
}

extension SymmetricKey: Equatable {
    /// Constant-time, so comparing a guessed key with the real one reveals nothing.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
        ConstantTime.equals(lhs.bytes, rhs.bytes)
    }
}

extension SymmetricKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SymmetricKey(\(bitCount) bits)" }
    public var debugDescription: String { description }
    /// Without this, `dump` and debuggers would walk into the stored bytes.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
