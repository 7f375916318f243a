import Foundation
@testable import FullscriptSandbox
import ServerTesting
import Testing

struct OAuthRoutesTests {
    @Test func authorizeRefusesUnregisteredRedirectURIAndUnknownClient() async throws {
        try await withSandbox { sandbox in
            let wrongURI = try await sandbox.send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped("http://evil.test/cb"))&response_type=code")
            #expect(wrongURI.status == 404)
            let wrongClient = try await sandbox.send("GET", "/api/oauth/authorize?client_id=other&redirect_uri=\(escaped(callback))&response_type=code")
            #expect(wrongClient.status == 404)
        }
    }

    @Test func authorizePageOffersEverySeededUser() async throws {
        try await withSandbox { sandbox in
            let page = try await sandbox.send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code&state=s1")
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            for user in sandbox.sandbox.seededUsers {
                #expect(page.text.contains("value=\"\(user.id)\""))
            }
            #expect(page.text.contains("action=\"/api/oauth/authorize/decision\""))
        }
    }

    /// A preselected account let a hurried Approve grant someone else's: the user must pick one.
    @Test func consentSelectsNoAccountAndApproveWithoutAPickGrantsNothing() async throws {
        try await withSandbox { sandbox in
            let page = try await sandbox.send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code&state=s1")
            #expect(!page.text.contains("checked"))
            #expect(page.text.contains("required"))
            #expect(page.text.contains("value=\"deny\" formnovalidate"))

            let form = "client_id=sandbox-client&redirect_uri=\(escaped(callback))&state=abc&decision="
            let unpicked = try await sandbox.send("POST", "/api/oauth/authorize/decision", body: form + "approve", contentType: "application/x-www-form-urlencoded")
            #expect(unpicked.status == 400)
            #expect(unpicked.header("location") == nil)
            #expect(unpicked.text.contains("role=\"alert\""))
            #expect(unpicked.text.contains("Choose the account"))
            #expect(unpicked.text.contains("name=\"state\" value=\"abc\""), "the form keeps the flow's state")
            let blank = try await sandbox.send("POST", "/api/oauth/authorize/decision", body: form + "approve&user_id=", contentType: "application/x-www-form-urlencoded")
            #expect(blank.status == 400)

            let denied = try await sandbox.send("POST", "/api/oauth/authorize/decision", body: form + "deny", contentType: "application/x-www-form-urlencoded")
            #expect(denied.header("location") == callback + "?error=access_denied&state=abc", "Deny needs no pick")
        }
    }

    @Test func decisionRedirectsWithCodeOrAccessDenied() async throws {
        try await withSandbox { sandbox in
            let form = "client_id=sandbox-client&redirect_uri=\(escaped(callback))&state=abc&user_id=staff-1&decision="
            let denied = try await sandbox.send("POST", "/api/oauth/authorize/decision", body: form + "deny", contentType: "application/x-www-form-urlencoded")
            #expect(denied.status == 302)
            #expect(denied.header("location") == callback + "?error=access_denied&state=abc")
            let approved = try await sandbox.send("POST", "/api/oauth/authorize/decision", body: form + "approve", contentType: "application/x-www-form-urlencoded")
            #expect(approved.status == 302)
            #expect(approved.header("location")?.hasPrefix(callback + "?code=") == true)
            #expect(approved.header("location")?.hasSuffix("&state=abc") == true)
        }
    }

    @Test func autoApproveRedirectsWithCodeAndState() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code&state=st%20ate&auto_approve=prac-1")
            #expect(response.status == 302)
            let location = try #require(response.header("location"))
            let items = try #require(URLComponents(string: location)?.queryItems)
            #expect(items.first { $0.name == "state" }?.value == "st ate")
            #expect(items.first { $0.name == "code" }?.value?.isEmpty == false)
        }
    }

    @Test func codeExchangeAnswersTheOAuthWrapper() async throws {
        try await withSandbox { sandbox in
            let oauth = try await sandbox.connect("staff-1")
            #expect(oauth["token_type"]?.text == "Bearer")
            #expect(oauth["expires_in"]?.text == "7200")
            #expect(oauth["scope"]?.text == OAuthRoutes.scope)
            #expect(oauth["access_token"]?.text?.isEmpty == false)
            #expect(oauth["refresh_token"]?.text?.isEmpty == false)
            #expect(oauth["resource_owner"]?["id"]?.text == "staff-1")
            #expect(oauth["resource_owner"]?["type"]?.text == "Staff")
            let createdAt = try #require(oauth["created_at"]?.text)
            #expect(createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        }
    }

    @Test func codesAreSingleUseAndBoundToTheirRedirectURI() async throws {
        try await withSandbox { sandbox in
            let code = try await sandbox.code(for: "prac-1")
            func exchange(redirectURI: String) async throws -> TestResponseSummary {
                let response = try await sandbox.send("POST", "/api/oauth/token", body: """
                    {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret","code":"\(code)","redirect_uri":"\(redirectURI)"}
                    """)
                return TestResponseSummary(status: response.status, error: try sandbox.json(response)["error"]?.text)
            }
            #expect(try await exchange(redirectURI: "http://other.test/cb") == TestResponseSummary(status: 400, error: "invalid_grant"))
            #expect(try await exchange(redirectURI: callback).status == 200)
            #expect(try await exchange(redirectURI: callback) == TestResponseSummary(status: 400, error: "invalid_grant"))
        }
    }

    @Test func codesExpireAfterTenMinutes() async throws {
        try await withSandbox { sandbox in
            let code = try await sandbox.code(for: "prac-1")
            await sandbox.sandbox.advanceClock(by: 601)
            let response = try await sandbox.send("POST", "/api/oauth/token", body: """
                {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret","code":"\(code)","redirect_uri":"\(callback)"}
                """)
            #expect(response.status == 400)
            #expect(try sandbox.json(response)["error"]?.text == "invalid_grant")
        }
    }

    @Test func wrongClientSecretIsInvalidClient() async throws {
        try await withSandbox { sandbox in
            let code = try await sandbox.code(for: "prac-1")
            let response = try await sandbox.send("POST", "/api/oauth/token", body: """
                {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"nope","code":"\(code)","redirect_uri":"\(callback)"}
                """)
            #expect(response.status == 401)
            #expect(response.text == #"{"error":"invalid_client"}"#)
        }
    }

    @Test func acceptsFormEncodedTokenRequests() async throws {
        try await withSandbox { sandbox in
            let code = try await sandbox.code(for: "prac-2")
            let response = try await sandbox.send(
                "POST", "/api/oauth/token",
                body: "grant_type=authorization_code&client_id=sandbox-client&client_secret=sandbox-secret&code=\(code)&redirect_uri=\(escaped(callback))",
                contentType: "application/x-www-form-urlencoded"
            )
            #expect(response.status == 200)
            #expect(try sandbox.json(response)["oauth"]?["resource_owner"]?["id"]?.text == "prac-2")
        }
    }

    @Test func oldRefreshTokenWorksUntilTheNewAccessTokenIsUsed() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.connect("prac-1")
            let oldRefresh = try #require(first["refresh_token"]?.text)
            func refresh(_ token: String) async throws -> TestResponse {
                try await sandbox.send("POST", "/api/oauth/token", body: """
                    {"grant_type":"refresh_token","client_id":"sandbox-client","client_secret":"sandbox-secret","refresh_token":"\(token)"}
                    """)
            }
            let lost = try await refresh(oldRefresh)
            #expect(lost.status == 200)
            let retried = try await refresh(oldRefresh)
            #expect(retried.status == 200)
            let newAccess = try #require(sandbox.json(retried)["oauth"]?["access_token"]?.text)
            let newRefresh = try #require(sandbox.json(retried)["oauth"]?["refresh_token"]?.text)
            #expect(newRefresh != oldRefresh)
            #expect(try await sandbox.send("GET", "/api/clinic", token: newAccess).status == 200)
            let afterUse = try await refresh(oldRefresh)
            #expect(afterUse.status == 400)
            #expect(try sandbox.json(afterUse)["error"]?.text == "invalid_grant")
            #expect(try await refresh(newRefresh).status == 200)
            #expect(await sandbox.sandbox.tokenRefreshCount() == 3)
        }
    }

    @Test func revokeStopsBothTokensOfThePair() async throws {
        try await withSandbox { sandbox in
            let oauth = try await sandbox.connect("prac-1")
            let access = try #require(oauth["access_token"]?.text)
            let refresh = try #require(oauth["refresh_token"]?.text)
            let revoked = try await sandbox.send("POST", "/api/oauth/revoke", body: #"{"client_id":"sandbox-client","client_secret":"sandbox-secret","token":"\#(refresh)"}"#)
            #expect(revoked.status == 200)
            #expect(revoked.text == "{}")
            #expect(try await sandbox.send("GET", "/api/clinic", token: access).status == 401)
            let again = try await sandbox.send("POST", "/api/oauth/token", body: """
                {"grant_type":"refresh_token","client_id":"sandbox-client","client_secret":"sandbox-secret","refresh_token":"\(refresh)"}
                """)
            #expect(again.status == 400)
        }
    }
}

