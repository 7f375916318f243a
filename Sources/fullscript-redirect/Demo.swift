import App
import ArgumentParser

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the product on a demo database (./data/demo.sqlite) and print where to open it."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let (config, logger) = try await options.load(extra: options.database == nil ? ["database.path": "./data/demo.sqlite"] : [:])
        let application = try await Application(config: config, logger: logger)
        print("Demo running at http://\(config.server.host):\(application.port)/ — press Ctrl-C to stop.")
        try await application.run()
    }
}
