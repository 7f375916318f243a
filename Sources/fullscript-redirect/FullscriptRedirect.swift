import App
import ArgumentParser

@main
struct FullscriptRedirect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fullscript-redirect",
        abstract: "The backend behind an EHR's \"Recommend with Fullscript\" button.",
        discussion: """
            Configuration comes from config/default.json, then environment variables \
            (a key like database.path is read from DATABASE_PATH), then flags. \
            Secrets come only from the environment or files.
            """,
        subcommands: [Serve.self, Migrate.self, Demo.self, Tokens.self, ServiceKeys.self, Tenants.self, Sandbox.self, Reconcile.self, Doctor.self],
        defaultSubcommand: Serve.self
    )
}
