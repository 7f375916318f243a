@testable import App
import Cryptography
import Testing

@Suite struct TokenKeyRingTests {
    private let ring: TokenKeyRing
    private let carol = EHRUser(id: "carol", tenant: "north")

    init() throws {
        ring = TokenKeyRing(current: try SymmetricKey(bytes: SecureRandom.bytes(count: 32)))
    }

    /// A token opened once comes from memory after that, but only for exactly what opened it: the same bytes
    /// under another user, tenant or field are refused as before, and so are altered bytes.
    @Test func aTokenOpenedOnceOpensAgainOnlyForItsOwnUserAndField() throws {
        let sealed = ring.seal("access-secret", field: "access_token", user: carol)
        let keyID = ring.current.fingerprint
        #expect(try ring.open(sealed, keyID: keyID, field: "access_token", user: carol) == "access-secret")
        #expect(try ring.open(sealed, keyID: keyID, field: "access_token", user: carol) == "access-secret")
        #expect(ring.opened.count == 1)
        for (field, user) in [("access_token", EHRUser(id: "mallory", tenant: "north")), ("access_token", EHRUser(id: "carol", tenant: "south")),
                              ("access_token", EHRUser(id: "carol")), ("refresh_token", carol)] {
            #expect(throws: (any Error).self, "\(field) of \(user.tenant)/\(user.id)") {
                try ring.open(sealed, keyID: keyID, field: field, user: user)
            }
        }
        var altered = sealed
        altered[altered.count - 1] ^= 1
        #expect(throws: (any Error).self) { try ring.open(altered, keyID: keyID, field: "access_token", user: carol) }
        #expect(ring.opened.count == 1)
    }

    @Test func theOpenedTokensKeptAreBounded() throws {
        for index in 0...OpenedTokens.capacity {
            let sealed = ring.seal("token-\(index)", field: "access_token", user: carol)
            #expect(try ring.open(sealed, keyID: ring.current.fingerprint, field: "access_token", user: carol) == "token-\(index)")
        }
        #expect(ring.opened.count <= OpenedTokens.capacity)
    }
}
