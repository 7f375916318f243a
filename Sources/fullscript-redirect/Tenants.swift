import App
import ArgumentParser

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage tenants: the EHR practices this deployment serves.",
        discussion: """
            Each tenant is one practice, bound to one Fullscript clinic in one region. The tenant `default` always exists: \
            launch tokens without a `tenant` claim sign in to it.
            """,
        subcommands: [Create.self, List.self, Pin.self, Unpin.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant.")

        @OptionGroup var options: ServerOptions
        @Argument(help: "The tenant's id, as launch tokens name it (\"tenant\" claim): 1-64 of a-z 0-9 -") var name: String
        @Option(help: "Its Fullscript region: us or ca.") var region: String
        @Option(name: .customLong("display-name"), help: "How people see it (default: the id).") var displayName: String?
        @Option(help: "Pin its Fullscript clinic id now (default: its first practitioner's connection pins it).") var clinic: String?

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await TenantCommand(database: database, logger: logger)
                .create(id: name, region: region, displayName: displayName, clinicID: clinic), terminator: "")
        }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a tenant to its Fullscript clinic: only accounts of that clinic connect, and its webhook events come to it."
        )

        @OptionGroup var options: ServerOptions
        @Argument(help: "The tenant's id.") var tenant: String
        @Argument(help: "The Fullscript clinic id (GET /clinic as one of the practice's practitioners).") var clinic: String

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await TenantCommand(database: database, logger: logger).pin(tenant, clinicID: clinic), terminator: "")
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unpin a tenant's Fullscript clinic, so that it can be pinned to another (audited)."
        )

        @OptionGroup var options: ServerOptions
        @Argument(help: "The tenant's id.") var tenant: String

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await TenantCommand(database: database, logger: logger).unpin(tenant), terminator: "")
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
