import Cryptography
import Testing

@Suite struct SymmetricKeyTests {
    static let counting = (0...31).map(UInt8.init)
    /// `counting` in standard padded base64, as `openssl rand -base64 32` would print a key.
    static let countingBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    @Test func acceptsThirtyTwoBytes() throws {
        let key = try SymmetricKey(bytes: Self.counting)
        #expect(key.bitCount == 256)
    }

    @Test(arguments: [0, 16, 24, 31, 33, 64])
    func rejectsOtherLengths(count: Int) {
        #expect(throws: CryptoError.invalidKeyLength(count)) {
            try SymmetricKey(bytes: [UInt8](repeating: 7, count: count))
        }
    }

    @Test func decodesStandardBase64() throws {
        #expect(try SymmetricKey(base64: Self.countingBase64) == SymmetricKey(bytes: Self.counting))
    }

    @Test(arguments: [
        "not base64!", String(countingBase64.dropLast()), " " + countingBase64,
        countingBase64 + "\n",
    ])
    func rejectsInvalidBase64(text: String) {
        #expect(throws: CryptoError.invalidBase64) { try SymmetricKey(base64: text) }
    }

    @Test func rejectsBase64OfTheWrongLength() {
        #expect(throws: CryptoError.invalidKeyLength(16)) {
            try SymmetricKey(base64: "AAECAwQFBgcICQoLDA0ODw==")
        }
        #expect(throws: CryptoError.invalidKeyLength(0)) { try SymmetricKey(base64: "") }
    }

    @Test func randomKeysAreFullLengthAndDistinct() {
        let key = SymmetricKey.random()
        #expect(key.bitCount == 256)
        #expect(key != SymmetricKey.random())
    }

    @Test func equalityComparesBytes() throws {
        var other = Self.counting
        other[31] ^= 1
        #expect(try SymmetricKey(bytes: Self.counting) == SymmetricKey(bytes: Self.counting))
        #expect(try SymmetricKey(bytes: Self.counting) != SymmetricKey(bytes: other))
    }

    @Test func printsNeitherBytesNorBase64() throws {
        let key = try SymmetricKey(bytes: [UInt8](repeating: 0xAB, count: 32))
        #expect(key.description == "SymmetricKey(256 bits)")
        #expect(key.debugDescription == "SymmetricKey(256 bits)")
        #expect("\(key)" == "SymmetricKey(256 bits)")
        #expect(String(reflecting: key) == "SymmetricKey(256 bits)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("171"))
        #expect(Mirror(reflecting: key).children.isEmpty)
    }
}
