import Foundation
import HTTPTypes
import ServerTesting
import Testing
@testable import Fullscript
import Logging

struct FullscriptClientOAuthTests {
    static let tokenBody = #"""
        {"oauth": {"access_token": "ACCESS-new", "token_type": "Bearer", "expires_in": 7200, "refresh_token": "REFRESH-new",
         "scope": "catalog:read clinic:read clinic:write", "created_at": "2021-06-16T14:57:21.000Z",
         "resource_owner": {"id": "st-1", "type": "staff"}}}
        """#

    @Test func authorizeURLEncodesEveryParameter() {
        let url = Fixture.client(FakeTransport()).authorizeURL(state: "a b/c&d")
        #expect(url == "https://api-us-snd.fullscript.io/api/oauth/authorize?client_id=client-1"
            + "&redirect_uri=https%3A%2F%2Fehr.example%2Foauth%2Ffullscript%2Fcallback&response_type=code&state=a%20b%2Fc%26d")
    }

    @Test func authorizeURLAppendsToAnExistingQuery() {
        let client = FullscriptClient(endpoints: FullscriptEndpoints(apiBaseURL: "https://h/api", authorizeURL: "https://h/oauth/authorize?x=1"),
                                      credentials: Fixture.credentials, transport: FakeTransport(), logger: .init(label: "test"))
        #expect(client.authorizeURL(state: "s").hasPrefix("https://h/oauth/authorize?x=1&client_id=client-1&"))
    }

    @Test func exchangePostsTheDocumentedJSONWithoutBearer() async throws {
        let transport = FakeTransport(.answer(200, Self.tokenBody))
        let token = try await Fixture.client(transport).exchange(code: "code-1")
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .post)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/oauth/token")
        #expect(sent.request.headerFields[.authorization] == nil)
        #expect(sent.request.headerFields[.contentType] == "application/json")
        #expect(sent.json == Fixture.json(#"""
            {"grant_type": "authorization_code", "client_id": "client-1", "client_secret": "s3cret-value", "code": "code-1",
             "redirect_uri": "https://ehr.example/oauth/fullscript/callback"}
            """#))
        #expect(token == OAuthToken(accessToken: "ACCESS-new", refreshToken: "REFRESH-new", expiresIn: 7200,
                                    scope: ["catalog:read", "clinic:read", "clinic:write"], createdAt: Fixture.date("2021-06-16T14:57:21Z"),
                                    resourceOwner: ResourceOwner(id: "st-1", type: .staff)))
    }

    @Test func refreshPostsTheRefreshGrant() async throws {
        let transport = FakeTransport(.answer(200, Self.tokenBody))
        _ = try await Fixture.client(transport).refresh(refreshToken: "REFRESH-old")
        #expect(transport.sent.first?.json == Fixture.json(#"""
            {"grant_type": "refresh_token", "client_id": "client-1", "client_secret": "s3cret-value", "refresh_token": "REFRESH-old",
             "redirect_uri": "https://ehr.example/oauth/fullscript/callback"}
            """#))
    }

    @Test func refreshKeepsTheOldRefreshTokenWhenNoneIsReturned() async throws {
        let transport = FakeTransport(.answer(200, #"{"access_token": "A", "resource_owner": {"id": "p", "type": "Practitioner"}}"#))
        #expect(try await Fixture.client(transport).refresh(refreshToken: "REFRESH-old").refreshToken == "REFRESH-old")
        let exchange = FakeTransport(.answer(200, #"{"access_token": "A", "resource_owner": {"id": "p", "type": "Practitioner"}}"#))
        await #expect(throws: FullscriptError(.malformedResponse("the token response has no refresh_token"), status: 200)) {
            try await Fixture.client(exchange).exchange(code: "c")
        }
    }

    @Test(arguments: [400, 401])
    func aRefusedGrantIsInvalidGrant(_ status: Int) async {
        let transport = FakeTransport(.answer(status, #"{"error": "invalid_grant", "error_description": "revoked"}"#, headers: ["X-Request-Id": "r"]))
        await #expect(throws: FullscriptError(.invalidGrant, status: status, requestID: "r")) {
            try await Fixture.client(transport).refresh(refreshToken: "REFRESH-old")
        }
    }

    @Test func tokenBodiesNeverReachTheLogs() async throws {
        let logs = LogCapture()
        _ = try await Fixture.client(FakeTransport(.answer(200, Self.tokenBody)), logs: logs).exchange(code: "code-1")
        #expect(!logs.lines.isEmpty)
        #expect(!logs.lines.contains { $0.contains("ACCESS-new") || $0.contains("REFRESH-new") || $0.contains("s3cret") })
    }

    @Test func revokePostsClientAndToken() async throws {
        let transport = FakeTransport(.answer(200, "{}"))
        try await Fixture.client(transport).revoke(token: "REFRESH-old")
        let sent = try #require(transport.sent.first)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/oauth/revoke")
        #expect(sent.request.headerFields[.authorization] == nil)
        #expect(sent.json == Fixture.json(#"{"client_id": "client-1", "client_secret": "s3cret-value", "token": "REFRESH-old"}"#))
    }
}
