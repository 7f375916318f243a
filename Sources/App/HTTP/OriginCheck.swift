import Foundation
import HTTPTypes
import Server

/// Requests authenticated by the session cookie must come from our own pages. `SameSite=Strict`
/// keeps other sites' requests from carrying the cookie, but not those of sibling origins on the
/// same site, nor a browser that ignores the attribute. So a state-changing request passes only with
/// `Sec-Fetch-Site: same-origin` or, from a browser that sends no such header, an `Origin` equal to
/// `public_base_url`'s; anything else is a 403 and never reaches the route.
struct OriginCheck: RouterMiddleware {
    /// Also refuse safe requests (navigations) that another site started: a click is a GET that makes a draft.
    enum Navigations: Sendable {
        case allowed
        case refusedFromOtherSites
    }

    /// `scheme://host[:port]`, as browsers send `Origin`.
    let origin: String
    let navigations: Navigations
    let audience: Audience

    init(publicBaseURL: URL, navigations: Navigations = .allowed, audience: Audience) {
        origin = Self.origin(of: publicBaseURL)
        self.navigations = navigations
        self.audience = audience
    }

    func handle(_ request: Request, next: Handler) async throws -> Response {
        let fields = request.head.headerFields
        let site = fields[.secFetchSite]
        let allowed: Bool
        if Self.safeMethods.contains(request.method) {
            allowed = navigations == .allowed || site != "cross-site"
        } else if let site {
            allowed = site == "same-origin"
        } else {
            allowed = fields[.origin]?.lowercased() == origin
        }
        guard allowed else { return Refusal.crossSite.response(audience.format(of: request), to: request) }
        return try await next(request)
    }

    private static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    static func origin(of url: URL) -> String {
        let scheme = (url.scheme ?? "http").lowercased()
        let host = (url.host ?? "").lowercased()
        let defaultPort = scheme == "https" ? 443 : 80
        return scheme + "://" + host + (url.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
    }
}
