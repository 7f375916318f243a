@testable import App
import Cryptography
import Foundation
import FullscriptSandbox
import Logging
import Server
import ServerTesting
import Store
import Testing

/// The application wired to a Fullscript simulator over loopback, end to end. In `.router` mode (the
/// default) the test's requests go straight through the application's route table and middleware, and
/// the application's listener is never started; in `.live` mode it serves on a loopback port, for what
/// needs the wire (server-sent events). Either way the application reaches the simulator over loopback,
/// as it would reach Fullscript.
final class ConnectedHarness: StoppableHarness {
    static let redirectURI = "http://127.0.0.1:9/oauth/fullscript/callback"
    /// The simulator's clinics: prac-1..3 and staff-1 are of the first, prac-4, prac-5 and staff-2 of the second.
    static let clinicID = "clinic-1"
    static let clinicName = "Sandbox Integrative Clinic"
    static let otherClinicID = "clinic-2"
    static let otherClinicName = "Lakeside Family Wellness"
    let sandbox: FullscriptSandbox
    let sandboxServer: HTTPServer
    let application: Application
    let clock = TestClock()
    let directory: URL
    let mode: TestMode
    /// Requests to the application, by the harness's mode.
    let app: TestTransport
    /// Requests to the simulator (its pages and API), by the harness's mode.
    let fullscript: TestTransport
    /// What `replica()` starts another application with.
    let config: AppConfig
    let identity: (any EHRIdentityProvider)?
    let logger: Logger

    /// `identity` nil means the real launch-token sessions; `environment` adds or overrides settings.
    /// `deliverWebhooks`: the simulator's Activate button posts signed webhooks to the application, as
    /// the demo wires it. `processWebhooks` false starts the server without the webhook processor,
    /// as if the process died right after storing an event. `pinnedDefaultClinic`: the tenant `default`
    /// starts pinned to the simulator's clinic-1, as a deployment is after its first connection, so
    /// events of that clinic are its own; false leaves it for the first connection to pin.
    init(
        mode: TestMode = .router,
        key: String = Data(SecureRandom.bytes(count: 32)).base64EncodedString(),
        identity: (any EHRIdentityProvider)? = HeaderIdentity(),
        environment: [String: String] = [:],
        deliverWebhooks: Bool = false,
        processWebhooks: Bool = true,
        pinnedDefaultClinic: Bool = true,
        logger: Logger = ApplicationTests.quietLogger,
        shutdownGracePeriod: Duration = .seconds(1),
        planStreamHeartbeat: Duration = .milliseconds(150),
        sandboxConfiguration: (inout SandboxConfiguration) -> Void = { _ in }
    ) async throws {
        self.mode = mode
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
        config.server.shutdownGracePeriod = shutdownGracePeriod
        // Plan streams beat fast by default, so tests see heartbeats and ended sessions without waiting.
        config.planStreamHeartbeat = planStreamHeartbeat
        self.config = config
        self.identity = identity
        self.logger = logger
        let clock = clock
        do {
            application = try await Application(config: config, logger: logger, identity: identity, now: { clock.now() })
        } catch {
            await sandboxServer.shutdown()
            throw error
        }
        if pinnedDefaultClinic {
            try await application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = ?, fullscript_clinic_name = ? WHERE id = ?",
                                           [.text(Self.clinicID), .text(Self.clinicName), .text(Tenant.defaultID)])
            }
        }
        switch mode {
        case .router:
            app = .router(application.server.routes, limits: config.server.limits)
            fullscript = .router(sandboxServer.routes)
            let app = app
            webhookTarget.aim(at: WebhookRoutes.path) { url, headers, body in
                let response = try await app.execute(Array(("POST \(url) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "Content-Length: \(body.count)\r\n\r\n").utf8) + body)
                return (response.status, response.body)
            }
            if processWebhooks { application.webhooks.start() }
            application.patientSync.start()
        case .live:
            app = .live(port: application.port)
            fullscript = .live(port: sandboxServer.port)
            webhookTarget.aim(at: application.webhookURL, sender: FullscriptSandbox.webhookSender(over: application.httpClient))
            if processWebhooks {
                try application.start()
            } else {
                try application.server.start()
            }
        }
    }

    func stop() async {
        await application.shutdown()
        await sandboxServer.shutdown()
    }

    /// One request to the application, written out as a client sends it.
    func execute(_ request: String) async throws -> TestResponse {
        try await app.execute(request)
    }

    func execute(_ request: [UInt8]) async throws -> TestResponse {
        try await app.execute(request)
    }

    func get(_ target: String, user: String? = "alice", cookie: String? = nil) async throws -> TestResponse {
        try await app.execute("GET \(target) HTTP/1.1\r\nHost: x\r\n" + (user.map { "X-Test-User: \($0)\r\n" } ?? "")
            + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + "\r\n")
    }

    /// A form post as a browser sends it from one of our pages (`site` is its `Sec-Fetch-Site`; nil sends none).
    func post(_ target: String, form: String = "", user: String? = "alice", cookie: String? = nil, site: String? = "same-origin",
              headers: [String] = []) async throws -> TestResponse {
        try await app.execute("POST \(target) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(form.utf8.count)\r\n" + (user.map { "X-Test-User: \($0)\r\n" } ?? "")
            + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + (site.map { "Sec-Fetch-Site: \($0)\r\n" } ?? "")
            + headers.map { $0 + "\r\n" }.joined() + "\r\n" + form)
    }

    /// The connect page's button: starts the flow for the signed-in user, back to `returnTo` afterwards.
    func startConnect(returnTo: String, user: String? = "alice", cookie: String? = nil, headers: [String] = []) async throws -> TestResponse {
        try await post("/oauth/fullscript/connect", form: "return_to=" + FormURLEncoding.escape(returnTo), user: user, cookie: cookie,
                       headers: headers)
    }

    /// Runs connect and the simulator's consent (approving as `practitioner`); returns the callback target and cookie.
    func consent(returnTo: String = "/patients/42", as practitioner: String = "prac-1", user: String = "alice") async throws -> (callback: String, cookie: String) {
        let connect = try await startConnect(returnTo: returnTo, user: user)
        #expect(connect.status == 302)
        let location = try #require(connect.header("location"))
        let cookie = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let authorize = try #require(URLComponents(string: location))
        let approved = try await fullscript.execute(
            "GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=\(practitioner) HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        #expect(approved.status == 302)
        let backLocation = try #require(approved.header("location"))
        let back = try #require(URLComponents(string: backLocation))
        return ("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", cookie)
    }

    func storedRows() async throws -> [Row] {
        try await application.database.read { try $0.query("SELECT * FROM fullscript_connections") }
    }
}

/// A fresh `ConnectedHarness` for `body`, stopped before this returns (see `withHarness(_:_:)`).
func withHarness(
    mode: TestMode = .router,
    key: String = Data(SecureRandom.bytes(count: 32)).base64EncodedString(),
    identity: (any EHRIdentityProvider)? = HeaderIdentity(),
    environment: [String: String] = [:],
    deliverWebhooks: Bool = false,
    processWebhooks: Bool = true,
    pinnedDefaultClinic: Bool = true,
    logger: Logger = ApplicationTests.quietLogger,
    sandboxConfiguration: (inout SandboxConfiguration) -> Void = { _ in },
    _ body: (ConnectedHarness) async throws -> Void
) async throws {
    try await withHarness(
        try await ConnectedHarness(
            mode: mode, key: key, identity: identity, environment: environment, deliverWebhooks: deliverWebhooks,
            processWebhooks: processWebhooks, pinnedDefaultClinic: pinnedDefaultClinic, logger: logger, sandboxConfiguration: sandboxConfiguration
        ),
        body
    )
}
