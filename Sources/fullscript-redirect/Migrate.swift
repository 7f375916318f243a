import App
import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations from Migrations/ and report them.",
        discussion: "Each file Migrations/<store>/NNNN_name.sql (sqlite, or postgres when DATABASE_URL is set) runs once, "
            + "in its own transaction, and is recorded with its checksum."
    )

    @OptionGroup var options: ServerOptions

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    func run() async throws {
        let (database, _) = try await options.loadDatabase()
        let report = try await MigrationCommand.run(database: database, statusOnly: status)
        print(report, terminator: "")
    }
}
