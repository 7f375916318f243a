import App
import ArgumentParser
import Foundation
import Glibc
import Logging
import ServiceLifecycle
import UnixSignals

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the local Fullscript simulator (OAuth, dynamic links, patients, treatment plans).",
        discussion: "Point the server at it with FULLSCRIPT_ENVIRONMENT=custom, FULLSCRIPT_API_BASE_URL=http://HOST:PORT/api and FULLSCRIPT_AUTHORIZE_URL=http://HOST:PORT/api/oauth/authorize."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "The host name browsers reach it by, written into its links (default: --host).") var publicHost: String?
    @Option(help: "A redirect URI the simulated app accepts (repeatable).")
    var redirectURI: [String] = ["http://127.0.0.1:8080/oauth/fullscript/callback"]
    @Option(help: "Requests per access token per 5 minutes (Fullscript's limit unless load testing).") var rateLimit: Int?
    @Option(help: "Seconds an access token lives (Fullscript's 7200 unless a test wants refreshes; the server refreshes 300 s ahead).")
    var accessTokenLifetime: Int?

    func run() async throws {
        var logger = Logger(label: "fullscript-sandbox")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let server = try SandboxServer(
            host: host, publicHost: publicHost, port: port, redirectURIs: redirectURI, rateLimit: rateLimit,
            accessTokenLifetime: accessTokenLifetime, logger: logger
        )
        // The port is bound already, so a client may connect from now on; the group starts serving at once.
        print("Fullscript sandbox at http://\(host):\(port)/api — press Ctrl-C to stop.")
        fflush(nil) // reaches a pipe or a process manager's log now, not when a stdio buffer fills
        try await ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )).run()
    }
}
