import App
import ArgumentParser

struct ServiceKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-keys",
        abstract: "Manage the keys internal services use to call /api/v1.",
        discussion: """
            Services send a key as `Authorization: Bearer <key>`. Only a hash is stored, so a lost key is \
            revoked and replaced, never recovered.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown).")

        @OptionGroup var options: ServerOptions
        @Argument(help: "The calling service, as audit_log will name it: 1-64 of A-Z a-z 0-9 . _ -") var name: String
        @Option(help: "The tenant whose patients and plans the key sees (and only those).") var tenant = "default"
        @Flag(help: "For the vendor's own tooling: the key may also list every tenant (GET /api/v1/tenants).") var `operator` = false

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await ServiceKeyCommand(database: database, logger: logger).create(name: name, tenant: tenant, isOperator: `operator`),
                  terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: name, tenant, created, last used, revoked (never the key).")

        @OptionGroup var options: ServerOptions

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await ServiceKeyCommand(database: database, logger: logger).list(), terminator: "")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a key from the next request on.")

        @OptionGroup var options: ServerOptions
        @Argument(help: "The key's name.") var name: String

        func run() async throws {
            let (database, logger) = try await options.loadDatabase()
            print(try await ServiceKeyCommand(database: database, logger: logger).revoke(name: name), terminator: "")
        }
    }
}
