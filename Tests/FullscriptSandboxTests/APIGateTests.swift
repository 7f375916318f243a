@testable import FullscriptSandbox
import Testing
import ServerTesting

struct APIGateTests {
    @Test func restCallsNeedALiveBearerToken() async throws {
        try await withSandbox { sandbox in
            let missing = try await sandbox.send("GET", "/api/clinic")
            #expect(missing.status == 401)
            #expect(missing.text == #"{"error":"unauthorized"}"#)
            #expect(try await sandbox.send("GET", "/api/clinic", token: "made-up").status == 401)
        }
    }

    @Test func accessTokensExpireOnTheSandboxClock() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            await sandbox.sandbox.advanceClock(by: 7199)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
            await sandbox.sandbox.advanceClock(by: 1)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 401)
        }
    }

    @Test func revokingAUserStopsTheirTokens() async throws {
        try await withSandbox { sandbox in
            let practitioner = try await sandbox.accessToken("prac-1")
            let staff = try await sandbox.accessToken("staff-1")
            await sandbox.sandbox.revokeAllTokens(ofUser: "prac-1")
            #expect(try await sandbox.send("GET", "/api/clinic", token: practitioner).status == 401)
            #expect(try await sandbox.send("GET", "/api/clinic", token: staff).status == 200)
        }
    }

    @Test func everyAnswerCarriesARequestID() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.send("GET", "/api/clinic")
            let second = try await sandbox.send("GET", "/api/clinic")
            let id = try #require(first.header("x-request-id"))
            #expect(!id.isEmpty)
            #expect(second.header("x-request-id") != id)
        }
    }

    @Test func throttlesPerAccessTokenOverTheRollingWindow() async throws {
        try await withSandbox(configure: { $0.rateLimit = 2 }) { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let other = try await sandbox.accessToken("prac-2")
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
            let throttled = try await sandbox.send("GET", "/api/clinic", token: token)
            #expect(throttled.status == 429)
            #expect(throttled.header("retry-after") == "300")
            #expect(try await sandbox.send("GET", "/api/clinic", token: other).status == 200)
            await sandbox.sandbox.advanceClock(by: 300)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
        }
    }
}
