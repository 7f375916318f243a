import HTTPTypes

public typealias Handler = @Sendable (Request) async throws -> Response

/// Renders an answer the server gives on its own (no route, wrong method, a body over the limit, a
/// malformed request, a thrown `HTTPError` or a handler's failure), given the request's path and id.
public typealias ErrorRenderer = @Sendable (_ error: HTTPError, _ path: Substring, _ requestID: String) -> Response

/// Routes by method and path pattern. Patterns are `/`-separated segments; a segment `:name`
/// captures one percent-decoded path segment. Built once before the server starts.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let pattern: String
        let segments: [Segment]
        let maxBodySize: Int?
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    enum Resolution: Sendable {
        /// `label` names the route for metrics: its pattern, never the client's path.
        case route(handler: Handler, parameters: [String: String], maxBodySize: Int?, label: String)
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    private var routes: [Route] = []
    /// Answers GET and HEAD requests that no route matched (static files).
    public var fallback: Handler?
    /// Runs before every routed handler (not the fallback); a response it returns is sent instead.
    /// For checks that span many routes, such as rate limits; what it learns it may leave in the
    /// request's `context` for the handler.
    public var admission: (@Sendable (inout Request) async throws -> Response?)?
    /// Plain text unless the application says otherwise (JSON on its API paths, for one).
    public var renderError: ErrorRenderer = { error, _, _ in .text(error.message, status: error.status) }
    /// The answer an error from below the HTTP layer deserves (a busy database: 503), where the
    /// application knows one; nil leaves it a 500.
    public var recover: @Sendable (Request, any Error) -> Response? = { _, _ in nil }

    /// Metric labels for requests that reached no route of their own.
    static let staticFilesLabel = "static"
    static let unmatchedLabel = "unmatched"
    static let malformedLabel = "malformed"

    public init() {}

    public mutating func on(_ method: HTTPRequest.Method, _ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/").map { part in
            part.hasPrefix(":") ? Segment.parameter(String(part.dropFirst())) : .literal(String(part))
        }
        precondition(!routes.contains { $0.method == method && $0.segments == segments }, "duplicate route \(method) \(pattern)")
        let canonical = "/" + segments.map { segment in
            switch segment {
            case .literal(let literal): literal
            case .parameter(let name): ":" + name
            }
        }.joined(separator: "/")
        routes.append(Route(method: method, pattern: canonical, segments: segments, maxBodySize: maxBodySize, handler: handler))
    }

    /// Every route as `METHOD /pattern` (`:name` for a parameter), in registration order, so a test can
    /// hold a document that must cover every route (the OpenAPI one) to the routes actually served.
    public var registeredRoutes: [String] {
        routes.map { "\($0.method) \($0.pattern)" }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) {
        on(.get, pattern, handler)
    }

    public mutating func post(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        on(.post, pattern, maxBodySize: maxBodySize, handler)
    }

    public mutating func put(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        on(.put, pattern, maxBodySize: maxBodySize, handler)
    }

    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) {
        on(.delete, pattern, handler)
    }

    private func admitted(_ handler: @escaping Handler) -> Handler {
        guard let admission else { return handler }
        return { request in
            var request = request
            if let refusal = try await admission(&request) { return refusal }
            return try await handler(request)
        }
    }

    /// HEAD is answered by the GET route when there is no HEAD route; the server drops the body.
    func resolve(method: HTTPRequest.Method, path: Substring) -> Resolution {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPRequest.Method] = []
        var headFallback: Resolution?
        for route in routes where route.segments.count == parts.count {
            guard let parameters = match(route.segments, parts) else { continue }
            if route.method == method {
                return .route(handler: admitted(route.handler), parameters: parameters, maxBodySize: route.maxBodySize, label: route.pattern)
            }
            if method == .head, route.method == .get {
                headFallback = .route(
                    handler: admitted(route.handler), parameters: parameters, maxBodySize: route.maxBodySize, label: route.pattern
                )
            }
            allowed.append(route.method)
        }
        if let headFallback { return headFallback }
        if !allowed.isEmpty {
            if allowed.contains(.get) { allowed.append(.head) }
            return .methodNotAllowed(allowed: allowed)
        }
        if let fallback, method == .get || method == .head {
            return .route(handler: fallback, parameters: [:], maxBodySize: 0, label: Self.staticFilesLabel)
        }
        return .notFound
    }

    private func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .parameter(let name):
                guard let value = PercentDecoding.decode(part), !value.isEmpty else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }
}
