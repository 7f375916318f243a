import FullscriptSandbox
import Logging
import Server

/// `fullscript-redirect sandbox`: the Fullscript simulator on its own port, for EHR developers
/// without Fullscript credentials, the demo and the benchmarks.
public enum SandboxCommand {
    /// The port must be fixed: the simulator writes its own address into every redirect_url.
    /// `publicHost` is the name browsers use for it, which may differ from the bound address.
    public static func makeServer(host: String, publicHost: String? = nil, port: Int, redirectURIs: [String],
                                  logger: Logger) throws -> (HTTPServer, FullscriptSandbox) {
        let sandbox = FullscriptSandbox(configuration: SandboxConfiguration(
            redirectURIs: redirectURIs, publicBaseURL: "http://\(publicHost ?? host):\(port)"
        ))
        var router = Router()
        sandbox.register(on: &router)
        var configuration = HTTPServer.Configuration(host: host, port: port, eventLoopCount: 1)
        configuration.shutdownGracePeriod = .seconds(2)
        return (try HTTPServer(configuration: configuration, router: router, logger: logger), sandbox)
    }
}
