internal import COpenSSL

/// SHA-256 (FIPS 180-4) through libcrypto's one-shot EVP digest.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.withUnsafeByteBuffer(digest(of:))
    }

    /// The digest as lowercase hex, the form stored in migration checksums.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }

    /// Fetched once: with `EVP_sha256()` libcrypto looks the algorithm up among its providers on every digest
    /// (a third of a session cookie's hash). A fetched algorithm is immutable and may be used by any thread.
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    private static func digest(of buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var length: UInt32 = 0
        let result = [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            guard let algorithm,
                  EVP_Digest(buffer.baseAddress, buffer.count, output.baseAddress, &length, algorithm, nil) == 1,
                  length == byteCount
            else { openSSLFailure("SHA-256") }
            initialized = byteCount
        }
        return result
    }
}
