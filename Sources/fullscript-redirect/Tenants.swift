import App
import ArgumentParser

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage tenants: the EHR practices this deployment serves.",
        discussion: """
            Each tenant is one practice, bound to one Fullscript clinic in one region. The tenant `default` always exists: \
            launch tokens without a `tenant` claim sign in to it.
            """,
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant.")

        @OptionGroup var options: ServerOptions
        @Argument(help: "The tenant's id, as launch tokens name it (\"tenant\" claim): 1-64 of a-z 0-9 -") var name: String
        @Option(help: "Its Fullscript region: us or ca.") var region: String
        @Option(name: .customLong("display-name"), help: "How people see it (default: the id).") var displayName: String?

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await TenantCommand(database: database, logger: logger).create(id: name, region: region, displayName: displayName),
                  terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants: id, name, region, pinned Fullscript clinic, created.")

        @OptionGroup var options: ServerOptions

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await TenantCommand(database: database, logger: logger).list(), terminator: "")
        }
    }
}
