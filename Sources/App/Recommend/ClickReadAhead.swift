import Server

/// Sends a click's own reads (`ClickRead.statements`) in the round trip that reads its session, where each request
/// reads its session (PostgreSQL): one round trip of a click's three. First in the clicks' group, so that the
/// session it reads serves the rate limit, the patient binding and the role check after it, as the first read of
/// any group's does. The rows wait in `request.context` for the route, which uses them only for this patient and
/// the user the session names (`SessionStore.identify(_:readingAlong:)` says why nothing else is trusted).
struct ClickReadAhead: RouterMiddleware {
    let sessions: SessionStore

    func handle(_ request: Request, next: Handler) async throws -> Response {
        guard let patientID = request.parameters[RecommendRoutes.patientParameter], PatientRecord.isValidID(patientID) else {
            return try await next(request)
        }
        var request = request
        if let (user, rows) = try await sessions.identify(&request, readingAlong: { ClickRead.statements(patientID: patientID, for: $0) }) {
            request.context[ClickRead.ReadAhead.self] = ClickRead.ReadAhead(patientID: patientID, user: user, rows: rows)
        }
        return try await next(request)
    }
}
