import Foundation
import FullscriptSandbox
import HTTPClient
import HTTPTypes
import Logging
import Server

/// `fullscript-redirect sandbox`: the Fullscript simulator on its own port, for EHR developers
/// without Fullscript credentials, the demo and the benchmarks.
public enum SandboxCommand {
    /// The port must be fixed: the simulator writes its own address into every redirect_url.
    /// `publicHost` is the name browsers use for it, which may differ from the bound address.
    /// With `application` (configured for webhooks), activating a plan on the simulator's plan page
    /// delivers a signed webhook to that application, as Fullscript would.
    /// `rateLimit` is requests per access token per 5 minutes, Fullscript's own limit unless a load test raises it.
    public static func makeServer(host: String, publicHost: String? = nil, port: Int, redirectURIs: [String],
                                  webhooksTo application: Application? = nil, rateLimit: Int? = nil,
                                  accessTokenLifetime: Int? = nil, logger: Logger) throws -> (HTTPServer, FullscriptSandbox) {
        var configuration = SandboxConfiguration(redirectURIs: redirectURIs, publicBaseURL: "http://\(publicHost ?? host):\(port)")
        if let rateLimit { configuration.rateLimit = rateLimit }
        if let accessTokenLifetime { configuration.accessTokenLifetime = accessTokenLifetime }
        var sender: WebhookSender?
        if let application, let webhook = application.config.fullscript.webhook, let secret = webhook.secrets.first {
            configuration.webhookURL = webhookURL(of: application)
            configuration.webhookChallenge = webhook.challenge
            configuration.webhookSecret = secret
            sender = webhookSender(over: application.httpClient)
        }
        let sandbox = FullscriptSandbox(configuration: configuration, webhookSender: sender)
        let router = Router()
        sandbox.register(on: router)
        var serverConfiguration = HTTPServer.Configuration(host: host, port: port, eventLoopCount: 1)
        serverConfiguration.shutdownGracePeriod = .seconds(2)
        return (try HTTPServer(configuration: serverConfiguration, router: router, logger: logger), sandbox)
    }

    /// Where the application takes webhooks, reached over loopback when it listens on every address.
    static func webhookURL(of application: Application) -> String {
        let host = application.config.server.host
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        return "http://\(reachable):\(application.port)\(WebhookRoutes.path)"
    }

    /// Posts deliveries through our HTTP client (which never repeats a POST), as Fullscript's
    /// servers would reach the app.
    static func webhookSender(over client: HTTPClient, deadline: Duration = .seconds(10)) -> WebhookSender {
        { url, headers, body in
            guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
                throw HTTPClientError.invalidURL(url)
            }
            var fields = HTTPFields()
            for (name, value) in headers {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
                + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            let request = HTTPRequest(method: .post, scheme: scheme, authority: components.port.map { "\(host):\($0)" } ?? host,
                                      path: path, headerFields: fields)
            let response = try await client.execute(request, body: body, deadline: deadline)
            return (response.head.status.code, response.body)
        }
    }
}
