import App
import ArgumentParser

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server.",
        discussion: """
            Applies pending migrations first (unless database.auto_migrate is false, in which case it \
            refuses to start with pending ones), and refuses to start if an applied migration file changed. \
            Stops gracefully on SIGTERM or SIGINT: /readyz answers 503 at once, requests are still served for \
            http.shutdown_delay_ms, then in-flight requests finish within http.shutdown_grace_ms.
            """
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let (config, logger) = try await options.load()
        let application = try await Application(config: config, logger: logger)
        try await application.run()
    }
}
