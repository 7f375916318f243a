import App
import ArgumentParser

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply treatment-plan events Fullscript sent while webhooks could not reach this server.",
        discussion: """
            For each tenant (or the one --tenant names), reads Fullscript's events API (which keeps 30 days) with \
            the token of its first connected practitioner whose account is in the tenant's pinned clinic, stores \
            every event not seen yet in the webhook inbox, and applies what is pending. A tenant with no such \
            practitioner is skipped. Safe to repeat, and safe while the server runs: an event is applied once \
            however it arrives.
            """
    )

    @OptionGroup var options: ServerOptions
    @Option(help: "How far back to look: minutes, hours or days, like 90m, 24h or 7d (at most 30d).")
    var since = "24h"
    @Option(help: "Only this tenant (default: every tenant).")
    var tenant: String?

    func validate() throws {
        do {
            _ = try ReconcileCommand.window(since)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let window = try ReconcileCommand.window(since)
        let (config, logger) = try await options.load()
        let summary = try await ReconcileCommand.run(config: config, since: window, tenant: tenant, logger: logger) { print($0) }
        print("Done: \(summary).")
        // Failed events need someone to look (`SELECT event_id, error FROM webhook_events WHERE status = 'failed'`).
        if summary.failed > 0 { throw ExitCode(2) }
    }
}
