import Foundation
import Testing
@testable import Fullscript

struct TokenResponseTests {
    static let owner = #""resource_owner": {"id": "pr-1", "type": "Practitioner"}"#

    func decode(_ text: String) throws -> TokenResponse {
        try JSONDecoder().decode(TokenResponse.self, from: Data(text.utf8))
    }

    @Test func readsTheDocumentedOAuthWrapper() throws {
        let response = try decode(#"""
            {"oauth": {"access_token": "a", "token_type": "Bearer", "expires_in": 7200, "refresh_token": "r",
             "scope": "catalog:read clinic:write", "created_at": "2021-06-16T14:57:21.000Z", \#(Self.owner)}}
            """#)
        let token = response.token(receivedAt: Date(), previousRefreshToken: nil)
        #expect(token == OAuthToken(accessToken: "a", refreshToken: "r", tokenType: "Bearer", expiresIn: 7200,
                                    scope: ["catalog:read", "clinic:write"], createdAt: Fixture.date("2021-06-16T14:57:21Z"),
                                    resourceOwner: ResourceOwner(id: "pr-1", type: .practitioner)))
    }

    @Test(arguments: [#""2021-06-16T14:57:21Z""#, #""2021-06-16T14:57:21.000Z""#, "1623855441"])
    func readsAnUnwrappedBodyAndAnyCreatedAtForm(_ createdAt: String) throws {
        let response = try decode(#"{"access_token": "a", "refresh_token": "r", "expires_in": 60, "created_at": \#(createdAt), \#(Self.owner)}"#)
        #expect(response.createdAt == Date(timeIntervalSince1970: 1_623_855_441))
    }

    @Test func fillsWhatTheDocsLeaveOpen() throws {
        let response = try decode(#"{"access_token": "a", "scope": ["clinic:read"], \#(Self.owner)}"#)
        let received = Date(timeIntervalSince1970: 5)
        let token = try #require(response.token(receivedAt: received, previousRefreshToken: "old"))
        #expect(token.refreshToken == "old")
        #expect(token.createdAt == received)
        #expect(token.expiresIn == 7200)
        #expect(token.tokenType == "Bearer")
        #expect(token.scope == ["clinic:read"])
        #expect(response.token(receivedAt: received, previousRefreshToken: nil) == nil)
    }

    @Test func rejectsAnUnreadableCreatedAtOrAMissingOwner() {
        #expect(throws: DecodingError.self) { try decode(#"{"access_token": "a", "created_at": "soon", \#(Self.owner)}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"oauth": {"access_token": "a"}}"#) }
    }
}
