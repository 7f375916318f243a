/// A step between the server and a route's handler: it may answer instead of the handler, change the
/// request (leave what it learned in `request.context`), or change the response on its way out.
/// Middleware is attached to a `RouterGroup`, so it runs for exactly the routes of that group,
/// whatever spelling of the path reached them.
public protocol RouterMiddleware: Sendable {
    func handle(_ request: Request, next: Handler) async throws -> Response
}

extension Array where Element == any RouterMiddleware {
    /// The handler wrapped so that the first middleware runs first.
    func wrapping(_ handler: @escaping Handler) -> Handler {
        reversed().reduce(handler) { next, middleware in
            { request in try await middleware.handle(request, next: next) }
        }
    }
}
