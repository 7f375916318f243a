import Cryptography
import Testing

@Suite struct CryptoErrorTests {
    @Test func messagesNameTheProblemOnly() {
        #expect(CryptoError.invalidKeyLength(16).description == "key must be 32 bytes, got 16")
        #expect(CryptoError.invalidBase64.description == "not valid base64")
        #expect(CryptoError.authenticationFailed.description == "authentication failed")
        #expect(CryptoError.malformedSealedBox.description == "sealed box has the wrong nonce, tag or overall length")
    }

    /// The rejected input is a key in the making; the error must not echo it.
    @Test func rejectedKeyMaterialIsNotEchoed() {
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
        do throws(CryptoError) {
            _ = try SymmetricKey(base64: secret)
            Issue.record("a 19-byte key was accepted")
        } catch {
            #expect(error == .invalidKeyLength(19))
            #expect(!"\(error)".contains(secret))
            #expect(!String(reflecting: error).contains("secret"))
        }
    }
}
