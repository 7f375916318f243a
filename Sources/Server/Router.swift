public import HTTPTypes

public typealias Handler = @Sendable (Request) async throws -> Response

/// Renders an answer the server gives on its own (no route, wrong method, a body over the limit, a
/// malformed request, a thrown `HTTPError` or a handler's failure), given the request's path and id.
public typealias ErrorRenderer = @Sendable (_ error: HTTPError, _ path: Substring, _ requestID: String) -> Response

/// Collects routes, grouped with their middleware, before the server starts; `HTTPServer` turns it
/// into a `RouteTable`. Patterns are `/`-separated segments; a segment `:name` captures one
/// percent-decoded path segment. Empty segments are ignored when matching (`//a` is `/a`), and
/// since middleware belongs to routes rather than to path strings, every spelling that reaches a
/// route passes the same middleware.
public final class Router {
    struct Route {
        let method: HTTPRequest.Method
        let pattern: String
        let segments: [RouteSegment]
        let body: BodyLimit
        let handler: Handler
        let renderError: ErrorRenderer
    }

    private(set) var routes: [Route] = []
    private(set) var errorScopes: [RouteTable.ErrorScope] = []
    private var middleware: [any RouterMiddleware] = []
    /// Answers GET and HEAD requests that no route matched (static files), after the router's own middleware.
    public var fallback: Handler?
    /// How the server's own errors look where no group says otherwise: plain text.
    public let renderError: ErrorRenderer

    public init(renderError: @escaping ErrorRenderer = { error, _, _ in .text(error.message, status: error.status) }) {
        self.renderError = renderError
    }

    /// Middleware every request that reaches a route or the fallback passes, before any group's own.
    @discardableResult
    public func add(middleware: some RouterMiddleware) -> Router {
        self.middleware.append(middleware)
        return self
    }

    /// A group of routes under `prefix`. Its errors (and those of paths under `prefix` that match no
    /// route) are rendered by `renderError` when given, else as the router's.
    public func group(_ prefix: String = "", renderError: ErrorRenderer? = nil) -> RouterGroup {
        RouterGroup(router: self, prefix: [], middleware: [], renderError: self.renderError).group(prefix, renderError: renderError)
    }

    public func on(_ method: HTTPRequest.Method, _ pattern: String, body: BodyLimit = .none, _ handler: @escaping Handler) {
        group().on(method, pattern, body: body, handler)
    }

    public func get(_ pattern: String, _ handler: @escaping Handler) {
        on(.get, pattern, handler)
    }

    public func post(_ pattern: String, body: BodyLimit = .none, _ handler: @escaping Handler) {
        on(.post, pattern, body: body, handler)
    }

    public func put(_ pattern: String, body: BodyLimit = .none, _ handler: @escaping Handler) {
        on(.put, pattern, body: body, handler)
    }

    public func delete(_ pattern: String, _ handler: @escaping Handler) {
        on(.delete, pattern, handler)
    }

    func add(_ method: HTTPRequest.Method, _ segments: [RouteSegment], body: BodyLimit, renderError: @escaping ErrorRenderer,
             _ handler: @escaping Handler) {
        precondition(!routes.contains { $0.method == method && $0.segments == segments }, "duplicate route \(method) \(segments.pattern)")
        routes.append(Route(method: method, pattern: segments.pattern, segments: segments, body: body, handler: handler,
                            renderError: renderError))
    }

    func addErrorScope(_ prefix: [RouteSegment], _ renderError: @escaping ErrorRenderer) {
        errorScopes.append(RouteTable.ErrorScope(prefix: prefix, renderError: renderError))
    }

    /// Every route as `METHOD /pattern` (`:name` for a parameter), in registration order, so a test can
    /// hold a document that must cover every route (the OpenAPI one) to the routes actually served.
    public var registeredRoutes: [String] {
        routes.map { "\($0.method) \($0.pattern)" }
    }

    /// The routes as served: each handler wrapped in the router's middleware around its group's.
    public func table() -> RouteTable {
        let routes = routes.map { route in
            RouteTable.Route(
                method: route.method, pattern: route.pattern, segments: route.segments, maxBodySize: route.body.maxBodySize,
                handler: middleware.wrapping(route.handler), renderError: route.renderError
            )
        }
        // The deepest scope wins, so it is tried first.
        let scopes = errorScopes.enumerated().sorted { ($0.element.prefix.count, $0.offset) > ($1.element.prefix.count, $1.offset) }
        return RouteTable(routes: routes, errorScopes: scopes.map(\.element), fallback: fallback.map(middleware.wrapping),
                          renderError: renderError)
    }
}

enum RouteSegment: Sendable, Equatable {
    case literal(String)
    case parameter(String)

    static func parse(_ pattern: String) -> [RouteSegment] {
        pattern.split(separator: "/").map { part in
            part.hasPrefix(":") ? .parameter(String(part.dropFirst())) : .literal(String(part))
        }
    }
}

extension [RouteSegment] {
    var pattern: String {
        "/" + map { segment in
            switch segment {
            case .literal(let literal): literal
            case .parameter(let name): ":" + name
            }
        }.joined(separator: "/")
    }
}
