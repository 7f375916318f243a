import Foundation
import Testing
@testable import Fullscript

struct OAuthTokenTests {
    let token = OAuthToken(accessToken: "ACCESS-abc", refreshToken: "REFRESH-xyz", expiresIn: 7200, scope: ["catalog:read", "clinic:write"],
                           createdAt: Date(timeIntervalSince1970: 1_000), resourceOwner: ResourceOwner(id: "pr-1", type: .practitioner))

    @Test func expiresAtIsCreatedAtPlusExpiresIn() {
        #expect(token.expiresAt == Date(timeIntervalSince1970: 8_200))
    }

    @Test func noDescriptionShowsTheTokens() {
        var dumped = ""
        dump(token, to: &dumped)
        for text in [token.description, token.debugDescription, "\(token)", String(reflecting: token), dumped] {
            #expect(!text.contains("ACCESS-abc"))
            #expect(!text.contains("REFRESH-xyz"))
        }
        #expect(token.description.contains("pr-1"))
    }
}
