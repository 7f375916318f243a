import Cryptography
import Testing

@Suite struct SecureRandomTests {
    @Test(arguments: [0, 1, 16, 32, 1000])
    func returnsRequestedLength(count: Int) {
        #expect(SecureRandom.bytes(count: count).count == count)
    }

    @Test func successiveCallsDiffer() {
        // Two equal 32-byte draws would mean the RNG is broken (chance 2^-256).
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }

    @Test func bytesAreNotAllZero() {
        #expect(SecureRandom.bytes(count: 64).contains { $0 != 0 })
    }
}
