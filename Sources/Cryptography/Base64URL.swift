/// base64url without padding (RFC 4648 §5), the segment encoding of JWS
/// (RFC 7515 §2) and of tokens that travel in URLs.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let invalid: UInt8 = 0xFF
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: invalid, count: 256)
        for (value, character) in alphabet.enumerated() {
            values[Int(character)] = UInt8(value)
        }
        return values
    }()

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var ascii: [UInt8] = []
        ascii.reserveCapacity((bytes.underestimatedCount * 4 + 2) / 3)
        var pending: UInt32 = 0
        var pendingBits = 0
        for byte in bytes {
            pending = pending << 8 | UInt32(byte)
            pendingBits += 8
            while pendingBits >= 6 {
                pendingBits -= 6
                ascii.append(alphabet[Int(pending >> UInt32(pendingBits) & 0x3F)])
            }
            pending &= (1 << UInt32(pendingBits)) - 1
        }
        if pendingBits > 0 {
            ascii.append(alphabet[Int(pending << UInt32(6 - pendingBits))])
        }
        return String(decoding: ascii, as: UTF8.self)
    }

    /// Nil for characters outside the alphabet (padding included), for lengths no
    /// byte string encodes to, and for non-zero unused trailing bits: every byte
    /// string then has exactly one accepted encoding, so a signed token cannot be
    /// re-spelled into a different string that still verifies.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(ascii: text.utf8)
    }

    static func decode(ascii: some Collection<UInt8>) -> [UInt8]? {
        // A lone character in the last group carries 6 bits, less than a byte.
        guard ascii.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ascii.count * 3 / 4)
        var pending: UInt32 = 0
        var pendingBits = 0
        for character in ascii {
            let value = values[Int(character)]
            guard value != invalid else { return nil }
            pending = pending << 6 | UInt32(value)
            pendingBits += 6
            if pendingBits >= 8 {
                pendingBits -= 8
                bytes.append(UInt8(truncatingIfNeeded: pending >> UInt32(pendingBits)))
                pending &= (1 << UInt32(pendingBits)) - 1
            }
        }
        return pending == 0 ? bytes : nil
    }
}
