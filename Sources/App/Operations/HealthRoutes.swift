import Foundation
import Server
import Store
import HTTPTypes

/// `/healthz` says the process answers; `/readyz` says it can do its work: it is not shutting down, the
/// database answers and every migration this build knows of is applied. Orchestrators route traffic on the latter.
struct HealthRoutes: Sendable {
    let database: any SQLDatabase
    let runner: MigrationRunner
    /// Withdrawn on SIGTERM, `http.shutdown_delay_ms` before the server stops accepting.
    let readiness: Readiness

    func register(on router: RouterGroup) {
        router.get("/healthz") { _ in .json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/readyz") { request in await readinessAnswer(request) }
    }

    private func readinessAnswer(_ request: Request) async -> Response {
        guard !readiness.isWithdrawn else { return unavailable("shutting down") }
        do {
            let pending = try await runner.pending()
            guard pending.isEmpty else {
                return unavailable("\(pending.count) migration(s) not applied")
            }
            return .json(Array(#"{"status":"ready"}"#.utf8))
        } catch {
            return unavailable("database unavailable")
        }
    }

    private func unavailable(_ reason: String) -> Response {
        let body = (try? JSONEncoder().encode(["status": "unavailable", "reason": reason])) ?? Data()
        return .json(Array(body), status: .serviceUnavailable)
    }
}
