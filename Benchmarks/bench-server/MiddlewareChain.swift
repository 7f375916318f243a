import HTTPTypes
import Server
import Synchronization

// Stand-ins for the application's middleware list on a signed-in user's group (Sources/App/HTTP):
// each does the same kind of work per request (response headers, a do/catch, two request header
// reads, a locked dictionary update), without a database, so `/mw/healthz` against `/healthz`
// measures what the router's groups and middleware cost the listener.

struct ResponseHeadersStandIn: RouterMiddleware {
    func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        if response.headerFields[.contentType]?.hasPrefix("text/html") == true {
            response.headerFields[.init("Content-Security-Policy")!] = "default-src 'self'; frame-ancestors 'none'"
            response.headerFields[.init("X-Frame-Options")!] = "DENY"
        }
        response.headerFields[.init("X-Content-Type-Options")!] = "nosniff"
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
        let site = fields[.init("Sec-Fetch-Site")!]
        guard site != "cross-site" || fields[.init("Origin")!] == "http://127.0.0.1" else {
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
