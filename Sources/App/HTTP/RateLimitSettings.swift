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
