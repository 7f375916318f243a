internal import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) with 96-bit nonces and 128-bit tags, through
/// libcrypto's EVP cipher interface.
public enum AESGCM {
    public static let nonceByteCount = 12
    public static let tagByteCount = 16
    /// EVP counts bytes in `Int32`; nothing this service seals comes near it.
    public static let maximumByteCount = Int(Int32.max)

    public struct SealedBox: Sendable, Equatable {
        public let nonce: [UInt8]
        public let ciphertext: [UInt8]
        public let tag: [UInt8]

        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
            guard nonce.count == AESGCM.nonceByteCount,
                  tag.count == AESGCM.tagByteCount,
                  ciphertext.count <= AESGCM.maximumByteCount
            else { throw .malformedSealedBox }
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// Splits the `nonce ‖ ciphertext ‖ tag` layout that `combined` produces.
        public init(combined: [UInt8]) throws(CryptoError) {
            guard combined.count >= AESGCM.nonceByteCount + AESGCM.tagByteCount else { throw .malformedSealedBox }
            try self.init(
                nonce: Array(combined.prefix(AESGCM.nonceByteCount)),
                ciphertext: Array(combined.dropFirst(AESGCM.nonceByteCount).dropLast(AESGCM.tagByteCount)),
                tag: Array(combined.suffix(AESGCM.tagByteCount))
            )
        }

        public var combined: [UInt8] { nonce + ciphertext + tag }
    }

    /// With no `nonce`, 12 random bytes are drawn, which is what callers should
    /// want: a nonce repeated under the same key reveals the XOR of the two
    /// plaintexts and lets anyone forge tags. Explicit nonces exist for test vectors.
    public static func seal(
        _ plaintext: [UInt8],
        key: SymmetricKey,
        nonce: [UInt8]? = nil,
        authenticating aad: [UInt8] = []
    ) -> SealedBox {
        let nonce = nonce ?? SecureRandom.bytes(count: nonceByteCount)
        precondition(nonce.count == nonceByteCount, "AES-GCM nonce must be \(nonceByteCount) bytes, got \(nonce.count)")
        precondition(plaintext.count <= maximumByteCount, "AES-GCM plaintext longer than \(maximumByteCount) bytes")
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        withContext(encrypting: true, key: key, nonce: nonce, aad: aad) { context in
            let complete = ciphertext.withUnsafeMutableBufferPointer { output in
                finish(context, input: plaintext, output: output)
            }
            guard complete, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1
            else { openSSLFailure("AES-GCM encryption") }
        }
        return SealedBox(checked: nonce, ciphertext, tag)
    }

    /// Either the whole authenticated plaintext or `authenticationFailed`;
    /// decrypted bytes are never handed out before the tag has been checked.
    public static func open(_ box: SealedBox, key: SymmetricKey, authenticating aad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        var plaintext = [UInt8](repeating: 0, count: box.ciphertext.count)
        var tag = box.tag
        let authentic = withContext(encrypting: false, key: key, nonce: box.nonce, aad: aad) { context in
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1
            else { openSSLFailure("AES-GCM tag setup") }
            return plaintext.withUnsafeMutableBufferPointer { output in
                finish(context, input: box.ciphertext, output: output)
            }
        }
        guard authentic else {
            // The buffer holds decrypted but forged bytes; wipe them rather than
            // leave them in freed heap memory.
            plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw .authenticationFailed
        }
        return plaintext
    }

    /// Runs `body` with a context keyed for one message, nonce and AAD already fed.
    private static func withContext<Result>(
        encrypting: Bool,
        key: SymmetricKey,
        nonce: [UInt8],
        aad: [UInt8],
        _ body: (OpaquePointer) -> Result
    ) -> Result {
        precondition(aad.count <= maximumByteCount, "AES-GCM associated data longer than \(maximumByteCount) bytes")
        guard let context = EVP_CIPHER_CTX_new() else { openSSLFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        var aadWritten: Int32 = 0
        // 12 bytes is GCM's default nonce length too; setting it keeps the
        // SealedBox layout from resting on a library default.
        guard EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil, encrypting ? 1 : 0) == 1,
              EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
              EVP_CipherInit_ex(context, nil, nil, key.bytes, nonce, -1) == 1,
              aad.isEmpty || EVP_CipherUpdate(context, nil, &aadWritten, aad, Int32(aad.count)) == 1
        else { openSSLFailure("AES-GCM setup") }
        return body(context)
    }

    /// Streams `input` through the cipher and finalises. GCM emits exactly one
    /// output byte per input byte. On decryption, a false return means the tag
    /// did not match; on encryption it cannot happen on a healthy system.
    private static func finish(_ context: OpaquePointer, input: [UInt8], output: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        var written: Int32 = 0
        var trailing: Int32 = 0
        guard input.isEmpty || EVP_CipherUpdate(context, output.baseAddress, &written, input, Int32(input.count)) == 1,
              Int(written) == input.count
        else { openSSLFailure("AES-GCM update") }
        return EVP_CipherFinal_ex(context, output.baseAddress.map { $0 + Int(written) }, &trailing) == 1 && trailing == 0
    }
}

extension AESGCM.SealedBox {
    /// For `seal`, whose lengths are right by construction.
    fileprivate init(checked nonce: [UInt8], _ ciphertext: [UInt8], _ tag: [UInt8]) {
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }
}
