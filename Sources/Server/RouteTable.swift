import HTTPTypes
import Logging

/// The routes a server answers, built once by `Router.table()`: resolves a method and path to a
/// handler (already wrapped in its middleware), its body limit and how its errors look.
public struct RouteTable: Sendable {
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let pattern: String
        let segments: [RouteSegment]
        let maxBodySize: Int?
        let handler: Handler
        let renderError: ErrorRenderer
    }

    /// Where requests under a group's prefix that reach no route get their errors rendered.
    struct ErrorScope: Sendable {
        let prefix: [RouteSegment]
        let renderError: ErrorRenderer
    }

    enum Resolution: Sendable {
        /// `label` names the route for metrics: its pattern, never the client's path. `maxBodySize`
        /// nil is the server's configured default.
        case route(handler: Handler, parameters: [String: String], maxBodySize: Int?, label: String, renderError: ErrorRenderer)
        case methodNotAllowed(allowed: [HTTPRequest.Method], renderError: ErrorRenderer)
        case notFound(renderError: ErrorRenderer)
    }

    private let routes: [Route]
    private let errorScopes: [ErrorScope]
    private let fallback: Handler?
    /// For requests that reached no group: malformed ones, and paths outside every scope.
    let renderError: ErrorRenderer

    /// Metric labels for requests that reached no route of their own.
    static let staticFilesLabel = "static"
    static let unmatchedLabel = "unmatched"
    static let malformedLabel = "malformed"

    init(routes: [Route], errorScopes: [ErrorScope], fallback: Handler?, renderError: @escaping ErrorRenderer) {
        self.routes = routes
        self.errorScopes = errorScopes
        self.fallback = fallback
        self.renderError = renderError
    }

    /// HEAD is answered by the GET route when there is no HEAD route; the server drops the body.
    func resolve(method: HTTPRequest.Method, path: Substring) -> Resolution {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPRequest.Method] = []
        var headFallback: Resolution?
        for route in routes where route.segments.count == parts.count {
            guard let parameters = Self.match(route.segments, parts) else { continue }
            let resolution = Resolution.route(
                handler: route.handler, parameters: parameters, maxBodySize: route.maxBodySize, label: route.pattern,
                renderError: route.renderError
            )
            if route.method == method { return resolution }
            if method == .head, route.method == .get { headFallback = resolution }
            allowed.append(route.method)
        }
        if let headFallback { return headFallback }
        let (renderError, groupPrefixLength) = errorScope(for: parts)
        if !allowed.isEmpty {
            if allowed.contains(.get) { allowed.append(.head) }
            return .methodNotAllowed(allowed: allowed, renderError: renderError)
        }
        // Paths under a group's prefix belong to that group; files are served from outside every group.
        if let fallback, groupPrefixLength == 0, method == .get || method == .head {
            return .route(handler: fallback, parameters: [:], maxBodySize: 0, label: Self.staticFilesLabel, renderError: renderError)
        }
        return .notFound(renderError: renderError)
    }

    /// The deepest group whose prefix the path is under decides how a miss there looks.
    private func errorScope(for parts: [Substring]) -> (ErrorRenderer, prefixLength: Int) {
        for scope in errorScopes where scope.prefix.count <= parts.count {
            if Self.match(scope.prefix, parts[..<scope.prefix.count]) != nil { return (scope.renderError, scope.prefix.count) }
        }
        return (renderError, 0)
    }

    private static func match(_ segments: [RouteSegment], _ parts: some Collection<Substring>) -> [String: String]? {
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

extension RouteTable.Resolution {
    /// How a request no route takes is answered (404, or 405 with `Allow`); nil when a route takes it.
    func unroutedResponse(path: Substring, id: String) -> Response? {
        switch self {
        case .route:
            return nil
        case .notFound(let renderError):
            return renderError(HTTPError(.notFound), path, id)
        case .methodNotAllowed(let allowed, let renderError):
            var response = renderError(HTTPError(.methodNotAllowed), path, id)
            response.headerFields[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        }
    }
}

extension RouteTable {
    /// Runs a route's handler (already wrapped in its middleware) with the request id in scope: an
    /// `HTTPError` it throws is rendered by its group, anything else is a logged 500.
    static func answer(_ request: Request, with handler: Handler, renderError: ErrorRenderer, logger: Logger) async -> Response {
        do {
            return try await RequestScope.$id.withValue(request.id) { try await handler(request) }
        } catch let error as HTTPError {
            return renderError(error, request.path, request.id)
        } catch {
            logger.error("handler failed", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
            return renderError(HTTPError(.internalServerError), request.path, request.id)
        }
    }
}
