import App
import ArgumentParser
import Logging

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the local Fullscript simulator (OAuth, dynamic links, patients, treatment plans).",
        discussion: "Point the server at it with FULLSCRIPT_ENVIRONMENT=custom, FULLSCRIPT_API_BASE_URL=http://HOST:PORT/api and FULLSCRIPT_AUTHORIZE_URL=http://HOST:PORT/api/oauth/authorize."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "A redirect URI the simulated app accepts (repeatable).")
    var redirectURI: [String] = ["http://127.0.0.1:8080/oauth/fullscript/callback"]

    func run() async throws {
        var logger = Logger(label: "fullscript-sandbox")
        logger.logLevel = .info
        let (server, _) = try SandboxCommand.makeServer(host: host, port: port, redirectURIs: redirectURI, logger: logger)
        try server.start()
        print("Fullscript sandbox at http://\(host):\(port)/api — press Ctrl-C to stop.")
        _ = await TerminationSignals().wait()
        await server.shutdown()
    }
}
