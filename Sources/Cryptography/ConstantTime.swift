internal import COpenSSL

/// Comparison whose running time does not depend on where two byte strings
/// differ, so checking a MAC does not tell an attacker how many leading bytes
/// of a forgery were right.
public enum ConstantTime {
    /// Lengths are public (a MAC's size is part of its algorithm), so unequal
    /// lengths return false at once; equal lengths are always compared in full.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeByteBuffer { a in
            b.withUnsafeByteBuffer { b in
                CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
            }
        }
    }
}
