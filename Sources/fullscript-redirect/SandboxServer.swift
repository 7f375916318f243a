import App
import FullscriptSandbox
import HTTPClient
import Logging
import Server
import ServiceLifecycle

/// The Fullscript simulator on its own port (`sandbox`, and the `demo`'s), for EHR developers
/// without Fullscript credentials, the demo and the benchmarks.
final class SandboxServer: Service {
    let server: HTTPServer
    /// What the simulator delivers webhooks through: its own client, as Fullscript's servers are not ours.
    private let deliveries: HTTPClient?

    /// The port must be fixed: the simulator writes its own address into every redirect_url.
    /// `publicHost` is the name browsers use for it, which may differ from the bound address.
    /// With `application` (configured for webhooks), activating a plan on the simulator's plan page
    /// delivers a signed webhook to that application, as Fullscript would.
    /// `rateLimit` is requests per access token per 5 minutes, Fullscript's own limit unless a load test raises it.
    init(host: String, publicHost: String? = nil, port: Int, redirectURIs: [String], webhooksTo application: Application? = nil,
         rateLimit: Int? = nil, accessTokenLifetime: Int? = nil, logger: Logger) throws {
        var configuration = SandboxConfiguration(redirectURIs: redirectURIs, publicBaseURL: "http://\(publicHost ?? host):\(port)")
        if let rateLimit { configuration.rateLimit = rateLimit }
        if let accessTokenLifetime { configuration.accessTokenLifetime = accessTokenLifetime }
        var sender: WebhookSender?
        var deliveries: HTTPClient?
        if let application, let webhook = application.config.fullscript.webhook, let secret = webhook.secrets.first {
            configuration.webhookURL = application.webhookURL
            configuration.webhookChallenge = webhook.challenge
            configuration.webhookSecret = secret
            var clientConfiguration = HTTPClientConfiguration()
            clientConfiguration.allowPlainHTTPToLoopback = true
            let client = try HTTPClient(configuration: clientConfiguration, logger: logger)
            deliveries = client
            sender = FullscriptSandbox.webhookSender(over: client)
        }
        self.deliveries = deliveries
        let sandbox = FullscriptSandbox(configuration: configuration, webhookSender: sender)
        let router = Router()
        sandbox.register(on: router)
        var serverConfiguration = HTTPServer.Configuration(host: host, port: port, eventLoopCount: 1)
        serverConfiguration.shutdownGracePeriod = .seconds(2)
        server = try HTTPServer(configuration: serverConfiguration, router: router, logger: logger)
    }

    /// Serves until the service group shuts down gracefully, then drains and closes its delivery client.
    func run() async throws {
        try await HTTPServerService(server: server).run()
        await deliveries?.shutdown()
    }
}
