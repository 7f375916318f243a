import Cryptography
import Testing

/// Vectors from NIST's "SHA-256 examples" (FIPS 180-4 companion document).
@Suite struct SHA256Tests {
    @Test func abc() {
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyMessage() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func fourHundredFortyEightBitMessage() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(message.utf8.count * 8 == 448)
        #expect(SHA256.hexDigest(message.utf8) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func rawDigestMatchesHexAndLength() {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(digest.count == SHA256.byteCount)
        #expect(digest.prefix(4) == [0xBA, 0x78, 0x16, 0xBF])
    }

    @Test func nonContiguousCollectionHashesLikeAnArray() {
        let bytes = Array("abc".utf8)
        let lazy = bytes.lazy.map { $0 }
        #expect(SHA256.hash(lazy) == SHA256.hash(bytes))
    }
}
