@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// A Fullscript app per region: today's variables are the single-region form; the other region's app
/// comes under `FULLSCRIPT_CA_*` (or `FULLSCRIPT_US_*`), and a tenant's region picks the app its users go through.
struct RegionsTests {
    static let canadianApp = [
        "FULLSCRIPT_CA_CLIENT_ID": "ca-client", "FULLSCRIPT_CA_CLIENT_SECRET": "ca-secret",
        "FULLSCRIPT_CA_REDIRECT_URI": "https://ehr.example/oauth/fullscript/callback",
    ]

    @Test func theSingleRegionFormServesItsEnvironmentsRegion() async throws {
        #expect(try await AppConfigTests.load([:]).fullscript.apps.map(\.region) == [.us])
        #expect(try await AppConfigTests.load(["FULLSCRIPT_ENVIRONMENT": "ca-production"]).fullscript.apps.map(\.region) == [.ca])
        let custom = ["FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": "http://127.0.0.1:8090/api",
                      "FULLSCRIPT_AUTHORIZE_URL": "http://127.0.0.1:8090/api/oauth/authorize"]
        #expect(try await AppConfigTests.load(custom).fullscript.apps.map(\.region) == [.us], "a custom environment is us unless it says")
        #expect(try await AppConfigTests.load(custom.merging(["FULLSCRIPT_REGION": "ca"]) { $1 }).fullscript.apps.map(\.region) == [.ca])
        await #expect(throws: ConfigError.self) { try await AppConfigTests.load(custom.merging(["FULLSCRIPT_REGION": "eu"]) { $1 }) }
    }

    @Test func theTwoRegionFormAddsTheOtherRegionsApp() async throws {
        let config = try await AppConfigTests.load(Self.canadianApp.merging(["FULLSCRIPT_CA_WEBHOOK_CHALLENGE": "c",
                                                                               "FULLSCRIPT_CA_WEBHOOK_SECRET": "s"]) { $1 })
        #expect(config.fullscript.apps.map(\.region) == [.us, .ca])
        let canada = try #require(config.fullscript.app(for: .ca))
        #expect(canada.environment == .caSandbox)
        #expect(canada.endpoints.apiBaseURL.contains("api-ca-snd"))
        #expect(canada.credentials.clientID == "ca-client")
        #expect(canada.credentials.clientSecret == "ca-secret")
        #expect(canada.webhook == WebhookSettings(challenge: "c", secrets: ["s"]))
        #expect(config.fullscript.app(for: .us)?.credentials.clientID == "client", "today's variables still serve their region")

        var withoutSecret = Self.canadianApp
        withoutSecret["FULLSCRIPT_CA_CLIENT_SECRET"] = nil
        await #expect(throws: ConfigError.self) { try await AppConfigTests.load(withoutSecret) }
        let wrongRegion = Self.canadianApp.merging(["FULLSCRIPT_CA_ENVIRONMENT": "us-production"]) { $1 }
        do {
            _ = try await AppConfigTests.load(wrongRegion)
            Issue.record("a US environment accepted for the Canadian app")
        } catch let error as ConfigError {
            #expect(error.key == "fullscript.ca.environment")
        }
        #expect(try await AppConfigTests.load(Self.canadianApp.merging(["FULLSCRIPT_CA_ENVIRONMENT": "ca-production"]) { $1 })
            .fullscript.isProduction, "production anywhere is production")
    }

    @Test func theOtherRegionsAppHasAWebhookURLOfItsOwn() async throws {
        try await withHarness(environment: Self.canadianApp.merging([
            "FULLSCRIPT_CA_WEBHOOK_CHALLENGE": "ca-challenge", "FULLSCRIPT_CA_WEBHOOK_SECRET": "ca-webhook-secret",
        ]) { $1 }) { harness in
            func post(_ path: String, _ body: [UInt8], secret: String) async throws -> TestResponse {
                let signature = WebhookSigner(secret: secret).signature(timestamp: Int(harness.clock.now().timeIntervalSince1970), body: body)
                return try await harness.execute(Array(("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Fullscript-Signature: \(signature)\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body)
            }
            let handshake = try await harness.execute("POST /webhooks/fullscript/ca HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            #expect(try handshake.json["challenge"] as? String == "ca-challenge")
            let event = PlanEvent.body("ev-ca")
            #expect(try await post("/webhooks/fullscript/ca", event, secret: ApplicationTests.webhookSecret).status == 401,
                    "the US app's secret does not sign for the Canadian app")
            let accepted = try await post("/webhooks/fullscript/ca", event, secret: "ca-webhook-secret")
            #expect(accepted.status == 200)
            #expect(try accepted.json["challenge"] as? String == "ca-challenge")
            #expect(try await harness.webhookEvents().first?.hasPrefix("ev-ca|") == true)
            #expect(try await post("/webhooks/fullscript", PlanEvent.body("ev-us"), secret: "ca-webhook-secret").status == 401)
        }
    }

    @Test func aCanadianDeploymentUpgradedInPlaceKeepsConnecting() async throws {
        // The migration made `default` a US tenant; a deployment configured for Canada moves it there at start.
        try await withHarness(environment: ["FULLSCRIPT_REGION": "ca"]) { harness in
            let tenant = try await TenantStore(database: harness.application.database).find(Tenant.defaultID)
            #expect(tenant?.region == .ca)
            #expect(try await harness.startConnect(returnTo: "/").status == 302)
        }
    }

    @Test func aTenantOfARegionWithoutAnAppCannotConnect() async throws {
        try await withHarness { harness in
            _ = try await TenantStore(database: harness.application.database).create(id: "harbour", name: "Harbour", region: .ca)
            let refused = try await harness.startConnect(returnTo: "/", headers: ["X-Test-Tenant: harbour"])
            #expect(refused.status == 409)
            #expect(refused.text.contains("Fullscript Canada"))
            #expect(refused.header("set-cookie") == nil)
            let states = try await harness.application.database.read { try $0.queryFirst("SELECT count(*) AS n FROM oauth_states")?.int("n") }
            #expect(states == 0, "nothing started")
            #expect(try await harness.startConnect(returnTo: "/").status == 302, "the default tenant (us) still connects")
        }
    }

    @Test func aTenantsRegionPicksTheAppItsUsersConnectThrough() async throws {
        try await withHarness(environment: Self.canadianApp.merging([
            "FULLSCRIPT_CA_ENVIRONMENT": "custom", "FULLSCRIPT_CA_API_BASE_URL": "http://127.0.0.1:9/api",
            "FULLSCRIPT_CA_AUTHORIZE_URL": "http://127.0.0.1:9/ca/oauth/authorize", "FULLSCRIPT_CA_REGION": "ca",
        ]) { $1 }) { harness in
            _ = try await TenantStore(database: harness.application.database).create(id: "harbour", name: "Harbour", region: .ca)
            let canadian = try #require(try await harness.startConnect(returnTo: "/", headers: ["X-Test-Tenant: harbour"]).header("location"))
            #expect(canadian.hasPrefix("http://127.0.0.1:9/ca/oauth/authorize?"))
            #expect(canadian.contains("client_id=ca-client"))
            let american = try #require(try await harness.startConnect(returnTo: "/").header("location"))
            #expect(american.contains("client_id=sandbox-client"))
            let tenants = try await harness.application.database.read { connection in
                try connection.query("SELECT tenant_id FROM oauth_states ORDER BY tenant_id") { try $0.string("tenant_id") }
            }
            #expect(tenants == ["default", "harbour"], "the flow remembers its tenant, so the callback picks the same app")
        }
    }
}
