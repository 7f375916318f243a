import Cryptography
import Testing

/// RFC 4648 §10 test vectors, with the padding removed as §5 base64url-without-padding requires.
@Suite struct Base64URLTests {
    static let rfc4648Vectors: [(String, String)] = [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: rfc4648Vectors)
    func encodesRFC4648Vector(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
    }

    @Test(arguments: rfc4648Vectors)
    func decodesRFC4648Vector(plain: String, encoded: String) {
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    /// 0xFB 0xFF 0xBF is "+/+/" in standard base64; the URL alphabet swaps in '-' and '_'.
    @Test func usesTheURLSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: ["+/+/", "Zm9v/w", "Zm9v+A"])
    func rejectsTheStandardAlphabet(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test(arguments: ["Zg==", "Zm8=", "Zm9vYg==", "Zg="])
    func rejectsPadding(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test(arguments: ["Z", "Zm9vY", "Zm9vYmFyZ"])
    func rejectsLengthsNoByteStringEncodesTo(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test(arguments: ["Zm9v YmFy", "Zm9v\nYmFy", "Zm9v.YmFy", "Zm9vYmé", "Zm9v\u{0}"])
    func rejectsCharactersOutsideTheAlphabet(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    /// "Zh" and "Zm9" carry the same bytes as "Zg" and "Zm8" plus non-zero unused
    /// bits; accepting them would give one byte string two encodings.
    @Test(arguments: ["Zh", "Zm9"])
    func rejectsNonZeroTrailingBits(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func roundTripsEveryLengthAndByte() {
        for count in 0...66 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        let everyByte = (0...255).map(UInt8.init)
        #expect(Base64URL.decode(Base64URL.encode(everyByte)) == everyByte)
    }
}
