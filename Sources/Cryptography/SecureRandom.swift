internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// Traps if the RNG reports failure: callers use these bytes for tokens and
    /// keys, and there is no safe fallback to hand them instead.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes(count:) needs 0...Int32.max, got \(count)")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, RAND_bytes(buffer.baseAddress, Int32(count)) != 1 {
                openSSLFailure("RAND_bytes")
            }
            initialized = count
        }
    }
}
