@testable import App
import Cryptography
import Foundation
import Fullscript
import HTTPTypes
import FullscriptSandbox
import Logging
import Server
import ServerTesting
import Store
import Synchronization
import Testing

/// Stands in for the EHR session until the launch-token sign-in exists: the user is named by a header.
struct HeaderIdentity: EHRIdentityProvider {
    func user(for request: Request) async throws -> EHRUser? {
        request.head.headerFields[HTTPField.Name("X-Test-User")!].map { EHRUser(id: $0) }
    }
}

/// A clock tests can move, shared by the application under test.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

/// The application wired to a Fullscript simulator over loopback, end to end.
final class ConnectedHarness: Sendable {
    static let redirectURI = "http://127.0.0.1:9/oauth/fullscript/callback"
    let sandbox: FullscriptSandbox
    let sandboxServer: HTTPServer
    let application: Application
    let clock = TestClock()
    let directory: URL

    /// `identity` nil means the real launch-token sessions; `environment` adds or overrides settings.
    /// `deliverWebhooks`: the simulator's Activate button posts signed webhooks to the application, as
    /// the demo wires it. `processWebhooks` false starts the server without the webhook processor,
    /// as if the process died right after storing an event.
    init(
        key: String = Data(SecureRandom.bytes(count: 32)).base64EncodedString(),
        identity: (any EHRIdentityProvider)? = HeaderIdentity(),
        environment: [String: String] = [:],
        deliverWebhooks: Bool = false,
        processWebhooks: Bool = true,
        logger: Logger = ApplicationTests.quietLogger,
        sandboxConfiguration: (inout SandboxConfiguration) -> Void = { _ in }
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var sandboxSettings = SandboxConfiguration(redirectURIs: [Self.redirectURI], publicBaseURL: "http://127.0.0.1")
        // The application's port is known only once it exists, after the simulator: deliveries go
        // through a target filled in below, with the sender the demo uses.
        let webhookTarget = WebhookTarget()
        if deliverWebhooks {
            sandboxSettings.webhookURL = "http://127.0.0.1/webhooks/fullscript"
            sandboxSettings.webhookChallenge = ApplicationTests.webhookChallenge
            sandboxSettings.webhookSecret = ApplicationTests.webhookSecret
        }
        sandboxConfiguration(&sandboxSettings)
        sandbox = FullscriptSandbox(configuration: sandboxSettings, webhookSender: deliverWebhooks ? webhookTarget.send : nil)
        let router = Router()
        sandbox.register(on: router)
        sandboxServer = try HTTPServer(configuration: .init(port: 0, eventLoopCount: 1), router: router, logger: ApplicationTests.quietLogger)
        try sandboxServer.start()
        let base = "http://127.0.0.1:\(sandboxServer.port)/api"
        var config = try await AppConfig.load(directory: repositoryRoot + "/config", environment: ApplicationTests.environment(directory) .merging([
            "FULLSCRIPT_ENVIRONMENT": "custom", "FULLSCRIPT_API_BASE_URL": base, "FULLSCRIPT_AUTHORIZE_URL": base + "/oauth/authorize",
            "FULLSCRIPT_CLIENT_ID": "sandbox-client", "FULLSCRIPT_CLIENT_SECRET": "sandbox-secret",
            "FULLSCRIPT_REDIRECT_URI": Self.redirectURI, "TOKEN_ENCRYPTION_KEY": key,
            "EHR_LAUNCH_SECRET": ApplicationTests.launchSecret,
        ].merging(environment) { _, new in new }) { _, new in new })
        config.server.shutdownGracePeriod = .seconds(1)
        // Plan streams beat fast, so tests see heartbeats and ended sessions without waiting.
        config.planStreamHeartbeat = .milliseconds(150)
        let clock = clock
        application = try await Application(config: config, logger: logger, identity: identity, now: { clock.now() })
        webhookTarget.aim(at: application.webhookURL, sender: FullscriptSandbox.webhookSender(over: application.httpClient))
        if processWebhooks {
            try application.start()
        } else {
            try application.server.start()
        }
    }

    func stop() async {
        await application.shutdown()
        await sandboxServer.shutdown()
    }

    func get(_ target: String, user: String? = "alice", cookie: String? = nil) throws -> TestResponse {
        let client = try TestClient(port: application.port)
        client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n" + (user.map { "X-Test-User: \($0)\r\n" } ?? "")
            + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + "\r\n")
        return try client.readResponse()
    }

    /// A form post as a browser sends it from one of our pages (`site` is its `Sec-Fetch-Site`; nil sends none).
    func post(_ target: String, form: String = "", user: String? = "alice", cookie: String? = nil, site: String? = "same-origin",
              headers: [String] = []) throws -> TestResponse {
        let client = try TestClient(port: application.port)
        client.send("POST \(target) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(form.utf8.count)\r\n" + (user.map { "X-Test-User: \($0)\r\n" } ?? "")
            + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + (site.map { "Sec-Fetch-Site: \($0)\r\n" } ?? "")
            + headers.map { $0 + "\r\n" }.joined() + "\r\n" + form)
        return try client.readResponse()
    }

    /// The connect page's button: starts the flow for the signed-in user, back to `returnTo` afterwards.
    func startConnect(returnTo: String, user: String? = "alice", cookie: String? = nil, headers: [String] = []) throws -> TestResponse {
        try post("/oauth/fullscript/connect", form: "return_to=" + FormURLEncoding.escape(returnTo), user: user, cookie: cookie,
                 headers: headers)
    }

    /// Runs connect and the simulator's consent (approving as `practitioner`); returns the callback target and cookie.
    func consent(returnTo: String = "/patients/42", as practitioner: String = "prac-1", user: String = "alice") throws -> (callback: String, cookie: String) {
        let connect = try startConnect(returnTo: returnTo, user: user)
        #expect(connect.status == 302)
        let location = try #require(connect.header("location"))
        let cookie = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let authorize = try #require(URLComponents(string: location))
        let sandboxClient = try TestClient(port: sandboxServer.port)
        sandboxClient.send("GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=\(practitioner) HTTP/1.1\r\nHost: x\r\n\r\n")
        let approved = try sandboxClient.readResponse()
        #expect(approved.status == 302)
        let backLocation = try #require(approved.header("location"))
        let back = try #require(URLComponents(string: backLocation))
        return ("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", cookie)
    }

    func storedRows() async throws -> [Row] {
        try await application.database.read { try $0.query("SELECT * FROM fullscript_connections") }
    }
}

/// Where the simulator's webhooks go, set once the application under test has its port.
final class WebhookTarget: Sendable {
    private let target = Mutex<(url: String, sender: WebhookSender)?>(nil)

    func aim(at url: String, sender: @escaping WebhookSender) {
        target.withLock { $0 = (url, sender) }
    }

    @Sendable func send(_: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8]) {
        guard let (url, sender) = target.withLock({ $0 }) else { throw TestClientError.closed("the application is not up yet") }
        return try await sender(url, headers, body)
    }
}

@Suite(.serialized)
struct OAuthConnectTests {
    @Test func connectsAndReturnsWhereTheUserStarted() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let connect = try harness.startConnect(returnTo: "/patients/42")
        let location = try #require(connect.header("location"))
        #expect(location.contains("client_id=sandbox-client"))
        #expect(location.contains("response_type=code"))
        #expect(location.contains("state="))
        let cookie = try #require(connect.header("set-cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))

        let (callback, binding) = try harness.consent()
        let done = try harness.get(callback, user: nil, cookie: binding)
        // A page of ours moves on, so the next request is same-site and carries the SameSite=Strict session.
        #expect(done.status == 200)
        #expect(done.text.contains(#"<meta http-equiv="refresh" content="0;url=/patients/42">"#))
        #expect(done.header("set-cookie")?.contains("Max-Age=0") == true)

        let rows = try await harness.storedRows()
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(try row.string("ehr_user_id") == "alice")
        #expect(try row.string("resource_owner_id") == "prac-1")
        #expect(try row.string("resource_owner_type") == "Practitioner")
        let connection = try #require(try await harness.application.vault.connection(for: "alice"))
        let sealed = try row.blob("access_token")
        #expect(!String(decoding: sealed, as: UTF8.self).contains(connection.accessToken))
        #expect(!connection.accessToken.isEmpty)
    }

    @Test func refusesEveryBadStateAndStoresNothing() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        let code = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
        #expect(try harness.get("/oauth/fullscript/callback?code=\(code)", cookie: cookie).status == 400)
        #expect(try harness.get("/oauth/fullscript/callback?code=\(code)&state=forged", cookie: cookie).status == 400)
        let otherBrowser = try harness.get(callback, cookie: "fs_oauth_binding=someone-else")
        #expect(otherBrowser.status == 400)
        #expect(otherBrowser.text.contains("different browser"))
        #expect(try await harness.storedRows().isEmpty)

        let (fresh, freshCookie) = try harness.consent()
        #expect(try harness.get(fresh, cookie: freshCookie).status == 200)
        let reused = try harness.get(fresh, cookie: freshCookie)
        #expect(reused.status == 400)
        #expect(reused.text.contains("already used"))

        let (late, lateCookie) = try harness.consent(user: "bob")
        harness.clock.advance(by: 11 * 60)
        let expired = try harness.get(late, cookie: lateCookie)
        #expect(expired.status == 400)
        #expect(expired.text.contains("10 minutes"))
        #expect(try await harness.storedRows().count == 1)
    }

    @Test func deniedConsentGetsAFriendlyPage() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        let state = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "state" }?.value)
        let denied = try harness.get("/oauth/fullscript/callback?error=access_denied&state=\(state)", cookie: cookie)
        #expect(denied.status == 200)
        #expect(denied.text.contains("chose not to allow"))
        #expect(try await harness.storedRows().isEmpty)
    }

    @Test func fullscriptDownDuringTheExchangeStoresNothing() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        await harness.sandbox.setFaults([.status(503)], count: 1)
        let failed = try harness.get(callback, cookie: cookie)
        #expect(failed.status == 502)
        #expect(failed.text.contains("could not be reached"))
        #expect(try await harness.storedRows().isEmpty)
    }

    @Test func neverRedirectsOffSite() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent(returnTo: "//evil.example/steal")
        #expect(try harness.get(callback, cookie: cookie).text.contains("url=/\""))
    }

    @Test func refusesConnectWithoutASignedInUser() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        #expect(try harness.get("/oauth/fullscript/connect", user: nil).status == 401)
    }

    @Test func refreshesOncePerUserUnderConcurrentClicks() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        _ = try harness.get(callback, cookie: cookie)
        let before = try #require(try await harness.application.vault.connection(for: "alice"))
        // Both sides' clocks move, as real ones do: a token refreshed now is fresh on both.
        harness.clock.advance(by: 7200 - 60)
        await harness.sandbox.advanceClock(by: 7200 - 60)
        let vault = harness.application.vault
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for click in 0..<30 {
                group.addTask {
                    // Staggered, so some clicks arrive while the refresh is finishing or just after.
                    try await Task.sleep(for: .milliseconds(click % 10))
                    return try await vault.accessToken(for: "alice").accessToken
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens.count == 1)
        #expect(!tokens.contains(before.accessToken))
        #expect(await harness.sandbox.tokenRefreshCount() == 1)
    }

    @Test func twoRequestsRefusedWithTheSameTokenRefreshOnce() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        _ = try harness.get(callback, cookie: cookie)
        let vault = harness.application.vault
        let refused = try #require(try await vault.connection(for: "alice")).accessToken
        let first = try await vault.refresh("alice", replacing: refused)
        let second = try await vault.refresh("alice", replacing: refused)
        #expect(first.accessToken == second.accessToken)
        #expect(first.accessToken != refused)
        #expect(await harness.sandbox.tokenRefreshCount() == 1)
    }

    @Test func revokedAtFullscriptMeansReconnect() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        _ = try harness.get(callback, cookie: cookie)
        await harness.sandbox.revokeAllTokens(ofUser: "prac-1")
        let stale = try #require(try await harness.application.vault.connection(for: "alice")).accessToken
        await #expect(throws: TokenVaultError.reconnectRequired) {
            try await harness.application.vault.refresh("alice", replacing: stale)
        }
        await #expect(throws: TokenVaultError.reconnectRequired) { try await harness.application.vault.accessToken(for: "alice") }
        let row = try #require(try await harness.storedRows().first)
        #expect(try row.string("status") == "disconnected")
    }

    @Test func disconnectRevokesAndForgets() async throws {
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let (callback, cookie) = try harness.consent()
        _ = try harness.get(callback, cookie: cookie)
        let client = try TestClient(port: harness.application.port)
        client.send("DELETE /oauth/fullscript/disconnect HTTP/1.1\r\nHost: x\r\nX-Test-User: alice\r\nSec-Fetch-Site: same-origin\r\n\r\n")
        #expect(try client.readResponse().status == 204)
        #expect(try await harness.storedRows().isEmpty)
        #expect(await harness.sandbox.recordedRequests().contains { $0.path == "/api/oauth/revoke" })
    }

    @Test func rotatesTheEncryptionKeyWithoutDisconnectingAnyone() async throws {
        let newKey = try SymmetricKey(bytes: SecureRandom.bytes(count: 32))
        let harness = try await ConnectedHarness()
        defer { Task { await harness.stop() } }
        let database = harness.application.database
        let keysBefore = harness.application.config.tokenKeys
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO fullscript_connections (ehr_user_id, resource_owner_id, resource_owner_type, scope, access_token,
                    refresh_token, key_id, access_expires_at, created_at, updated_at)
                VALUES ('carol', 'prac-2', 'Practitioner', 'clinic:read', ?, ?, ?, 0, '', '')
                """,
                [.blob(keysBefore.seal("access-secret", field: "access_token", user: "carol")),
                 .blob(keysBefore.seal("refresh-secret", field: "refresh_token", user: "carol")),
                 .text(keysBefore.current.fingerprint)]
            )
        }
        let rotated = TokenKeyRing(current: newKey, previous: [keysBefore.current])
        #expect(try await TokenVault.resealUnderCurrentKey(database: database, keys: rotated) == 1)
        let row = try #require(try await database.read { try $0.queryFirst("SELECT * FROM fullscript_connections WHERE ehr_user_id = 'carol'") })
        #expect(try row.string("key_id") == newKey.fingerprint)
        let onlyNew = TokenKeyRing(current: newKey)
        #expect(try onlyNew.open(try row.blob("refresh_token"), keyID: newKey.fingerprint, field: "refresh_token", user: "carol") == "refresh-secret")
        #expect(throws: (any Error).self) {
            try onlyNew.open(try row.blob("refresh_token"), keyID: newKey.fingerprint, field: "refresh_token", user: "mallory")
        }
    }
}
