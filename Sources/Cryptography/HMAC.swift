internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104) through libcrypto's one-shot `HMAC()`.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        key.withUnsafeByteBuffer { key in
            message.withUnsafeByteBuffer { message in
                mac(of: message, key: key)
            }
        }
    }

    /// Only a full-length MAC is accepted: a truncated one would leave a forger
    /// fewer bits to guess.
    public static func isValid(_ mac: [UInt8], for message: some Collection<UInt8>, key: some Collection<UInt8>) -> Bool {
        ConstantTime.equals(authenticate(message, key: key), mac)
    }

    private static func mac(of message: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // libcrypto 3 rejects a null key even at length 0 (null means "keep the
        // previous key", and a one-shot context has none), so an empty key must
        // still point somewhere.
        guard let keyAddress = key.baseAddress else {
            return withUnsafePointer(to: UInt8(0)) { mac(of: message, key: UnsafeBufferPointer(start: $0, count: 0)) }
        }
        precondition(key.count <= Int(Int32.max), "HMAC key longer than Int32.max bytes")
        var length: UInt32 = 0
        return [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            guard HMAC(EVP_sha256(), keyAddress, Int32(key.count), message.baseAddress, message.count, output.baseAddress, &length) != nil,
                  length == byteCount
            else { openSSLFailure("HMAC-SHA-256") }
            initialized = byteCount
        }
    }
}
