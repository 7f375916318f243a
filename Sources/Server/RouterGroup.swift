public import HTTPTypes

/// Routes that share a path prefix, middleware and an error format. A nested group inherits its
/// parent's middleware (which runs first) and error format.
public struct RouterGroup {
    let router: Router
    let prefix: [RouteSegment]
    let middleware: [any RouterMiddleware]
    let renderError: ErrorRenderer

    public func group(_ path: String = "", renderError: ErrorRenderer? = nil) -> RouterGroup {
        let prefix = prefix + RouteSegment.parse(path)
        if let renderError { router.addErrorScope(prefix, renderError) }
        return RouterGroup(router: router, prefix: prefix, middleware: middleware, renderError: renderError ?? self.renderError)
    }

    /// This group with `middleware` after its own, for the routes registered on the result.
    public func add(middleware: some RouterMiddleware) -> RouterGroup {
        RouterGroup(router: router, prefix: prefix, middleware: self.middleware + [middleware], renderError: renderError)
    }

    public func on(_ method: HTTPRequest.Method, _ pattern: String, body: BodyLimit = .none, _ handler: @escaping Handler) {
        router.add(method, prefix + RouteSegment.parse(pattern), body: body, renderError: renderError, middleware.wrapping(handler))
    }

    public func get(_ pattern: String = "", _ handler: @escaping Handler) {
        on(.get, pattern, handler)
    }

    public func post(_ pattern: String = "", body: BodyLimit = .none, _ handler: @escaping Handler) {
        on(.post, pattern, body: body, handler)
    }

    public func put(_ pattern: String = "", body: BodyLimit = .none, _ handler: @escaping Handler) {
        on(.put, pattern, body: body, handler)
    }

    public func delete(_ pattern: String = "", _ handler: @escaping Handler) {
        on(.delete, pattern, handler)
    }
}
