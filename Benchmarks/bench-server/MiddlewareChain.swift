import HTTPTypes
import Server
import Synchronization

// Stand-ins for the application's middleware (Sources/App/HTTP): each does the same kind of work per
// request (response headers, a do/catch, two request header reads, a locked dictionary update),
// without a database, so the routes through them against `/healthz` measure what the router's groups
// and middleware cost the listener.

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let origin = HTTPField.Name("Origin")!
}

struct ResponseHeadersStandIn: RouterMiddleware {
    func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        if response.headerFields[.contentType]?.hasPrefix("text/html") == true {
            response.headerFields[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'"
            response.headerFields[.xFrameOptions] = "DENY"
        }
        response.headerFields[.xContentTypeOptions] = "nosniff"
        return response
    }
}

struct RecoveryStandIn: RouterMiddleware {
    struct Busy: Error {}

    func handle(_ request: Request, next: Handler) async throws -> Response {
        do {
            return try await next(request)
        } catch is Busy {
            return .text("busy", status: .serviceUnavailable)
        }
    }
}

struct OriginCheckStandIn: RouterMiddleware {
    func handle(_ request: Request, next: Handler) async throws -> Response {
        let fields = request.head.headerFields
        let site = fields[.secFetchSite]
        guard site != "cross-site" || fields[.origin] == "http://127.0.0.1" else {
            return .text("forbidden", status: .forbidden)
        }
        return try await next(request)
    }
}

final class RateLimitStandIn: RouterMiddleware {
    private let counts = Mutex<[String: Int]>([:])

    func handle(_ request: Request, next: Handler) async throws -> Response {
        let caller = request.remoteAddress
        counts.withLock { $0[caller, default: 0] &+= 1 }
        return try await next(request)
    }
}
