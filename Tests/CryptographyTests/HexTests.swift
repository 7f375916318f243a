import Cryptography
import Testing

@Suite struct HexTests {
    @Test func encodesLowercaseWithLeadingZeros() {
        #expect(Hex.encode([0x00, 0x01, 0x0A, 0x7F, 0x80, 0xAB, 0xFF]) == "00010a7f80abff")
    }

    @Test func emptyInputIsEmptyString() {
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func acceptsAnySequence() {
        #expect(Hex.encode((0...3).map(UInt8.init)) == "00010203")
        #expect(Hex.encode("hi".utf8) == "6869")
    }
}
