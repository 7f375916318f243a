import Cryptography
import Testing

/// HMAC-SHA-256 vectors from RFC 4231 §4.2–4.8.
@Suite struct HMACTests {
    @Test func rfc4231Case1() {
        let mac = HMACSHA256.authenticate("Hi There".utf8, key: [UInt8](repeating: 0x0B, count: 20))
        #expect(Hex.encode(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231Case2KeyShorterThanOutput() {
        let mac = HMACSHA256.authenticate("what do ya want for nothing?".utf8, key: "Jefe".utf8)
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231Case3() {
        let mac = HMACSHA256.authenticate([UInt8](repeating: 0xDD, count: 50), key: [UInt8](repeating: 0xAA, count: 20))
        #expect(Hex.encode(mac) == "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
    }

    @Test func rfc4231Case4() {
        let mac = HMACSHA256.authenticate([UInt8](repeating: 0xCD, count: 50), key: Array(UInt8(0x01)...UInt8(0x19)))
        #expect(Hex.encode(mac) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
    }

    @Test func rfc4231Case5TruncatedTo128Bits() {
        let mac = HMACSHA256.authenticate("Test With Truncation".utf8, key: [UInt8](repeating: 0x0C, count: 20))
        #expect(Hex.encode(mac.prefix(16)) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func rfc4231Case6KeyLongerThanBlock() {
        let mac = HMACSHA256.authenticate(
            "Test Using Larger Than Block-Size Key - Hash Key First".utf8,
            key: [UInt8](repeating: 0xAA, count: 131)
        )
        #expect(Hex.encode(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func rfc4231Case7KeyAndDataLongerThanBlock() {
        let message = "This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm."
        let mac = HMACSHA256.authenticate(message.utf8, key: [UInt8](repeating: 0xAA, count: 131))
        #expect(Hex.encode(mac) == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    /// Not in RFC 4231; the widely published HMAC-SHA-256("", "") value. libcrypto
    /// refuses a null key pointer, so this guards the empty-key path.
    @Test func emptyKeyAndMessage() {
        #expect(Hex.encode(HMACSHA256.authenticate([UInt8](), key: [UInt8]()))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func nonContiguousInputsAuthenticateLikeArrays() {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        #expect(HMACSHA256.authenticate(message.lazy.map { $0 }, key: key.lazy.map { $0 })
            == HMACSHA256.authenticate(message, key: key))
    }

    @Test func isValidAcceptsTheRightMac() {
        let key = [UInt8](repeating: 0x0B, count: 20)
        let mac = HMACSHA256.authenticate("Hi There".utf8, key: key)
        #expect(mac.count == HMACSHA256.byteCount)
        #expect(HMACSHA256.isValid(mac, for: "Hi There".utf8, key: key))
    }

    @Test func isValidRejectsWrongMessageKeyOrMac() {
        let key = [UInt8](repeating: 0x0B, count: 20)
        let mac = HMACSHA256.authenticate("Hi There".utf8, key: key)
        var flipped = mac
        flipped[31] ^= 0x01
        #expect(!HMACSHA256.isValid(flipped, for: "Hi There".utf8, key: key))
        #expect(!HMACSHA256.isValid(mac, for: "Hi there".utf8, key: key))
        #expect(!HMACSHA256.isValid(mac, for: "Hi There".utf8, key: key.dropLast()))
    }

    @Test func isValidRejectsTruncatedAndEmptyMacs() {
        let key = [UInt8](repeating: 0x0C, count: 20)
        let mac = HMACSHA256.authenticate("Test With Truncation".utf8, key: key)
        #expect(!HMACSHA256.isValid(Array(mac.prefix(16)), for: "Test With Truncation".utf8, key: key))
        #expect(!HMACSHA256.isValid([], for: "Test With Truncation".utf8, key: key))
    }
}
