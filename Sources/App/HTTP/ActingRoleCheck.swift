import Server

/// Refuses a session whose roles only allow reading (a `viewer`) the routes of a group that make
/// Fullscript act. Without the `roles` claim everyone passes, as before the claim existed.
struct ActingRoleCheck: RouterMiddleware {
    let access: SessionAccess
    let action: FullscriptAction
    let audience: Audience

    func handle(_ request: Request, next: Handler) async throws -> Response {
        var request = request
        guard let user = try await access.identity.identify(&request), !user.mayActInFullscript else { return try await next(request) }
        return try await access.refuse(.viewOnly(action), user, subject: action.rawValue, request: request, audience: audience)
    }
}
