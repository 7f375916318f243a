import Logging
import Server
import Store

/// A store that cannot be used for a moment is the server's condition, not a failure of the request:
/// another process (a backup, an operator's sqlite3) holding SQLite past the busy timeout, or a
/// PostgreSQL server that is down or restarting. The group's callers get a 503 with Retry-After in
/// their own format (`database_busy` or `database_unavailable`), instead of a 500.
struct DatabaseUnavailableRecovery: RouterMiddleware {
    let audience: Audience
    let logger: Logger

    func handle(_ request: Request, next: Handler) async throws -> Response {
        do {
            return try await next(request)
        } catch let error as any StoreError {
            guard let unavailability = error.unavailability else { throw error }
            logger.warning("database unavailable", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
            let refusal: Refusal = unavailability == .busy ? .databaseBusy : .databaseUnavailable
            return refusal.response(audience.format(of: request), to: request)
        }
    }
}
