import Foundation

/// Fullscript's limit: a number of requests per rolling five minutes, counted per access token.
struct RateLimiter: Sendable {
    static let window: TimeInterval = 300

    private var admitted: [String: [Date]] = [:]

    /// Nil when the request may proceed; otherwise the seconds until the oldest counted request leaves the window.
    mutating func admit(_ token: String, at now: Date, limit: Int) -> Int? {
        var times = admitted[token, default: []].filter { now.timeIntervalSince($0) < Self.window }
        defer { admitted[token] = times }
        guard times.count >= limit, let oldest = times.first else {
            times.append(now)
            return nil
        }
        return max(1, Int((Self.window - now.timeIntervalSince(oldest)).rounded(.up)))
    }
}
