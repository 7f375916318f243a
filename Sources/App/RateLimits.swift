import Foundation
import Server

/// How fast one EHR user and one service key may call us. Each limit is a token bucket:
/// `burst` at once, refilled at `per_minute`.
public struct RateLimitSettings: Sendable {
    public var userPerMinute: Int
    public var userBurst: Int
    public var servicePerMinute: Int
    public var serviceBurst: Int

    init(_ config: ValidatingReader) throws(ConfigError) {
        userPerMinute = try config.int("rate_limit.user_per_minute", in: 1...1_000_000)
        userBurst = try config.int("rate_limit.user_burst", in: 1...1_000_000)
        servicePerMinute = try config.int("rate_limit.service_per_minute", in: 1...1_000_000)
        serviceBurst = try config.int("rate_limit.service_burst", in: 1...1_000_000)
    }
}

/// Runs before every route: a signed-in user's clicks and chart calls count against their bucket,
/// an authenticated service's calls against its key's. Anonymous requests pass through to the
/// route, which refuses them anyway, so a stranger cannot spend someone else's allowance.
struct RateLimits: Sendable {
    let identity: any EHRIdentityProvider
    let serviceKeys: ServiceKeyStore
    let users: TokenBuckets
    let services: TokenBuckets

    init(_ settings: RateLimitSettings, identity: any EHRIdentityProvider, serviceKeys: ServiceKeyStore,
         now: @escaping @Sendable () -> Date) {
        self.identity = identity
        self.serviceKeys = serviceKeys
        users = TokenBuckets(perMinute: settings.userPerMinute, burst: settings.userBurst, now: now)
        services = TokenBuckets(perMinute: settings.servicePerMinute, burst: settings.serviceBurst, now: now)
    }

    private static let userPaths = ["/recommend/", "/ehr/api/", "/oauth/fullscript/connect"]

    /// Leaves the caller it identified in the request's context for the route.
    func admit(_ request: inout Request) async throws -> Response? {
        let path = request.path
        let wait: Int?
        if path.hasPrefix("/api/v1/") {
            guard let caller = try await serviceKeys.identify(&request) else { return nil }
            wait = services.take(caller.name)
        } else if Self.userPaths.contains(where: path.hasPrefix) {
            guard let user = try await identity.identify(&request) else { return nil }
            wait = users.take(user.id)
        } else {
            return nil
        }
        guard let wait else { return nil }
        let format: ReplyFormat = path.hasPrefix("/recommend/") ? ReplyFormat(request) : .json
        return Refusal.tooManyRequests(retryAfterSeconds: wait).response(format, requestID: request.id)
    }
}
