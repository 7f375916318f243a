import Logging
import Server
import Store

/// Another process (a backup, an operator's sqlite3) holding the database past the busy timeout is
/// a moment's wait, not a failure: the group's callers get 503 `database_busy` with Retry-After in
/// their own format, instead of a 500.
struct DatabaseBusyRecovery: RouterMiddleware {
    let audience: Audience
    let logger: Logger

    func handle(_ request: Request, next: Handler) async throws -> Response {
        do {
            return try await next(request)
        } catch let error as SQLiteError where error.isBusy {
            logger.warning("database busy", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
            return Refusal.databaseBusy.response(audience.format(of: request), to: request)
        }
    }
}
