import Foundation
import Server

/// Counts a group's requests against their caller's bucket: a signed-in user's clicks and chart
/// calls against the user's, an authenticated service's calls against its key's. Anonymous requests
/// pass through to the route, which refuses them anyway, so a stranger cannot spend someone else's
/// allowance. Buckets are per tenant: the same EHR user id in another practice is someone else.
/// The caller it identifies stays in the request's context for the route.
struct RateLimit: RouterMiddleware {
    enum Caller: Sendable {
        case ehrUser(any EHRIdentityProvider)
        case serviceKey(ServiceKeyStore)
    }

    let caller: Caller
    /// Shared by every group of one kind of caller: a user has one allowance, wherever they spend it.
    let buckets: TokenBuckets
    let audience: Audience

    func handle(_ request: Request, next: Handler) async throws -> Response {
        var request = request
        let key: String?
        switch caller {
        case .ehrUser(let identity): key = try await identity.identify(&request).map { $0.tenant + "\u{0}" + $0.id }
        case .serviceKey(let serviceKeys): key = try await serviceKeys.identify(&request).map { $0.tenant + "\u{0}" + $0.name }
        }
        if let key, let wait = buckets.take(key) {
            return Refusal.tooManyRequests(retryAfterSeconds: wait).response(audience.format(of: request), to: request)
        }
        return try await next(request)
    }
}
