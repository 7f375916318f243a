import Cryptography
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalBytesAreEqual() {
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
    }

    @Test func emptyInputsAreEqual() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test(arguments: [0, 15, 31])
    func aDifferenceAnywhereIsUnequal(position: Int) {
        var other = [UInt8](repeating: 0x5A, count: 32)
        other[position] ^= 0x01
        #expect(!ConstantTime.equals([UInt8](repeating: 0x5A, count: 32), other))
    }

    @Test func unequalLengthsAreUnequalEvenWhenOneIsAPrefix() {
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(!ConstantTime.equals([UInt8](), [0] as [UInt8]))
    }

    @Test func comparesAcrossCollectionTypes() {
        let bytes = Array("token".utf8)
        #expect(ConstantTime.equals(bytes, "token".utf8))
        #expect(ConstantTime.equals(bytes[...], bytes.lazy.map { $0 }))
        #expect(!ConstantTime.equals(bytes.dropLast(), "token".utf8))
    }
}
