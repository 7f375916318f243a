import Cryptography
import Testing

/// Known answers are test cases 13–16 of McGrew & Viega, "The Galois/Counter
/// Mode of Operation (GCM)", the 256-bit-key cases of the spec NIST adopted.
@Suite struct AESGCMTests {
    struct Vector: Sendable, CustomStringConvertible {
        let description: String
        let key: String
        let nonce: String
        let plaintext: String
        let aad: String
        let ciphertext: String
        let tag: String
    }

    static let feffeKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let caseFifteenPlaintext = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let caseFifteenCiphertext = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    static let vectors = [
        Vector(
            description: "test case 13: empty plaintext, no AAD",
            key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
            plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"
        ),
        Vector(
            description: "test case 14: one zero block, no AAD",
            key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
            plaintext: String(repeating: "00", count: 16), aad: "",
            ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"
        ),
        Vector(
            description: "test case 15: four blocks, no AAD",
            key: feffeKey, nonce: "cafebabefacedbaddecaf888",
            plaintext: caseFifteenPlaintext, aad: "",
            ciphertext: caseFifteenCiphertext, tag: "b094dac5d93471bdec1a502270e3cc6c"
        ),
        Vector(
            description: "test case 16: 60 bytes with AAD",
            key: feffeKey, nonce: "cafebabefacedbaddecaf888",
            plaintext: String(caseFifteenPlaintext.dropLast(8)), aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ciphertext: String(caseFifteenCiphertext.dropLast(8)), tag: "76fc6ece0f4e1768cddf8853bb2d551b"
        ),
    ]

    @Test(arguments: vectors)
    func sealMatchesPublishedVector(_ vector: Vector) throws {
        let box = AESGCM.seal(
            bytes(hex: vector.plaintext),
            key: try SymmetricKey(bytes: bytes(hex: vector.key)),
            nonce: bytes(hex: vector.nonce),
            authenticating: bytes(hex: vector.aad)
        )
        #expect(Hex.encode(box.nonce) == vector.nonce)
        #expect(Hex.encode(box.ciphertext) == vector.ciphertext)
        #expect(Hex.encode(box.tag) == vector.tag)
    }

    @Test(arguments: vectors)
    func openRecoversPublishedPlaintext(_ vector: Vector) throws {
        let box = try AESGCM.SealedBox(
            nonce: bytes(hex: vector.nonce),
            ciphertext: bytes(hex: vector.ciphertext),
            tag: bytes(hex: vector.tag)
        )
        let plaintext = try AESGCM.open(
            box,
            key: SymmetricKey(bytes: bytes(hex: vector.key)),
            authenticating: bytes(hex: vector.aad)
        )
        #expect(Hex.encode(plaintext) == vector.plaintext)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 1000])
    func roundTripsWithARandomNonce(count: Int) throws {
        let key = SymmetricKey.random()
        let plaintext = SecureRandom.bytes(count: count)
        let box = AESGCM.seal(plaintext, key: key, authenticating: Array("patient-42".utf8))
        #expect(box.nonce.count == AESGCM.nonceByteCount)
        #expect(box.ciphertext.count == count)
        #expect(box.tag.count == AESGCM.tagByteCount)
        #expect(try AESGCM.open(box, key: key, authenticating: Array("patient-42".utf8)) == plaintext)
    }

    @Test func randomNoncesDifferBetweenSeals() {
        let key = SymmetricKey.random()
        let first = AESGCM.seal(Array("same".utf8), key: key)
        let second = AESGCM.seal(Array("same".utf8), key: key)
        #expect(first.nonce != second.nonce)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test func combinedIsNonceCiphertextTag() throws {
        let vector = Self.vectors[3]
        let box = AESGCM.seal(
            bytes(hex: vector.plaintext),
            key: try SymmetricKey(bytes: bytes(hex: vector.key)),
            nonce: bytes(hex: vector.nonce),
            authenticating: bytes(hex: vector.aad)
        )
        #expect(Hex.encode(box.combined) == vector.nonce + vector.ciphertext + vector.tag)
        #expect(try AESGCM.SealedBox(combined: box.combined) == box)
    }

    @Test func combinedWithEmptyCiphertextIsTwentyEightBytes() throws {
        let box = try AESGCM.SealedBox(combined: [UInt8](repeating: 0, count: 28))
        #expect(box.ciphertext.isEmpty)
        #expect(box.nonce.count == 12)
        #expect(box.tag.count == 16)
    }

    @Test(arguments: [0, 12, 27])
    func combinedTooShortIsMalformed(count: Int) {
        #expect(throws: CryptoError.malformedSealedBox) {
            try AESGCM.SealedBox(combined: [UInt8](repeating: 0, count: count))
        }
    }

    @Test func partsOfTheWrongLengthAreMalformed() {
        #expect(throws: CryptoError.malformedSealedBox) {
            try AESGCM.SealedBox(nonce: [UInt8](repeating: 0, count: 11), ciphertext: [], tag: [UInt8](repeating: 0, count: 16))
        }
        #expect(throws: CryptoError.malformedSealedBox) {
            try AESGCM.SealedBox(nonce: [UInt8](repeating: 0, count: 16), ciphertext: [], tag: [UInt8](repeating: 0, count: 16))
        }
        #expect(throws: CryptoError.malformedSealedBox) {
            try AESGCM.SealedBox(nonce: [UInt8](repeating: 0, count: 12), ciphertext: [], tag: [UInt8](repeating: 0, count: 15))
        }
    }

    @Test func wrongKeyFailsAuthentication() {
        let box = AESGCM.seal(Array("secret".utf8), key: SymmetricKey.random())
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(box, key: SymmetricKey.random())
        }
    }

    /// Flipping one bit at a time in every byte of the combined form: nonce,
    /// ciphertext and tag are all covered by the tag.
    @Test func anyTamperedByteFailsAuthentication() throws {
        let key = SymmetricKey.random()
        let combined = AESGCM.seal(Array("transfer 100 to account 7".utf8), key: key).combined
        for index in combined.indices {
            var tampered = combined
            tampered[index] ^= 0x01 << (index % 8)
            let box = try AESGCM.SealedBox(combined: tampered)
            #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(box, key: key) }
        }
    }

    @Test func changedMissingOrExtraAADFailsAuthentication() {
        let key = SymmetricKey.random()
        let bound = AESGCM.seal(Array("token".utf8), key: key, authenticating: Array("user=1".utf8))
        let unbound = AESGCM.seal(Array("token".utf8), key: key)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(bound, key: key, authenticating: Array("user=2".utf8))
        }
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(bound, key: key) }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(unbound, key: key, authenticating: Array("user=1".utf8))
        }
    }

    @Test func tamperedPublishedTagFailsAuthentication() throws {
        let vector = Self.vectors[2]
        var tag = bytes(hex: vector.tag)
        tag[15] ^= 0x80
        let box = try AESGCM.SealedBox(nonce: bytes(hex: vector.nonce), ciphertext: bytes(hex: vector.ciphertext), tag: tag)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(box, key: SymmetricKey(bytes: bytes(hex: vector.key)))
        }
    }
}

private func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index ..< index + 2], as: UTF8.self), radix: 16)!
    }
}
