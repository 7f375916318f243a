@testable import App
import Foundation
import ServerTesting
import Testing

/// The limits as a client meets them: per signed-in user and per service key, 429 with Retry-After.
struct RateLimitsTests {
    static let tight = ["RATE_LIMIT_USER_PER_MINUTE": "1", "RATE_LIMIT_USER_BURST": "2",
                        "RATE_LIMIT_SERVICE_PER_MINUTE": "2", "RATE_LIMIT_SERVICE_BURST": "2"]

    @Test func aUserPastTheirBurstWaitsAndOthersDoNot() async throws {
        try await withHarness(identity: nil, environment: Self.tight) { harness in
            let alice = try await harness.signIn("alice")
            let bob = try await harness.signIn("bob")
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: alice).status == 200)
            #expect(try await harness.get("/ehr/api/patients", user: nil, cookie: alice).status == 200)
            let limited = try await harness.get("/ehr/api/me", user: nil, cookie: alice)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "60")
            #expect(limited.text.contains(#""code":"rate_limited""#))
            let click = try await harness.get("/recommend/p-1", user: nil, cookie: alice)
            #expect(click.status == 429)
            #expect(click.header("content-type")?.hasPrefix("text/html") == true)
            #expect(click.text.contains("Too many requests"))
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: bob).status == 200, "bob has his own bucket")
            #expect(try await harness.get("/ehr/api/me", user: nil).status == 401, "anonymous requests are the route's to refuse")
            harness.clock.advance(by: 60)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: alice).status == 200, "a token back after a minute")
        }
    }

    @Test func aServiceKeyPastItsBurstWaits() async throws {
        try await withHarness(identity: nil, environment: Self.tight) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let other = try await ServiceKeyStore(database: harness.application.database).create(name: "reports", tenant: Tenant.defaultID)
            func get(_ key: String) async throws -> TestResponse {
                try await harness.request("GET /api/v1/patients/p-1", headers: ["Authorization: Bearer \(key)"])
            }
            #expect(try await get(key).status == 404)
            #expect(try await get(key).status == 404)
            let limited = try await get(key)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "30")
            #expect(limited.text.contains(#""code":"rate_limited""#))
            #expect(try await get(other).status == 404, "each key has its own bucket")
            #expect(try await get("fsr_not-a-key").status == 401, "an unknown key is refused by the route, not counted")
        }
    }
}
