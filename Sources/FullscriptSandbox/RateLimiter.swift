import Foundation

/// Fullscript's limit: a number of requests per rolling five minutes, counted per access token.
struct RateLimiter: Sendable {
    static let window: TimeInterval = 300

    /// A token's admitted requests, oldest first; those before `start` have left the window. Each request drops what
    /// left since the last, so one costs the same however many a token made: the simulator counted every click of a
    /// benchmark's one practitioner again on each, and slowed with each click it served.
    private struct Admitted {
        var times: [Date] = []
        var start = 0

        var count: Int { times.count - start }

        mutating func forget(before now: Date) {
            while start < times.count, now.timeIntervalSince(times[start]) >= RateLimiter.window { start += 1 }
            // Left entries are dropped once they are most of the array, so each is moved at most once.
            if start > 64, start * 2 > times.count {
                times.removeFirst(start)
                start = 0
            }
        }

        /// In order of time, also when the clock went back.
        mutating func add(_ now: Date) {
            guard let last = times.last, now < last else { return times.append(now) }
            let position = times[start...].firstIndex { $0 > now } ?? times.endIndex
            times.insert(now, at: position)
        }
    }

    private var admitted: [String: Admitted] = [:]

    /// Nil when the request may proceed; otherwise the seconds until the oldest counted request leaves the window.
    mutating func admit(_ token: String, at now: Date, limit: Int) -> Int? {
        // Taken out, so that the dictionary's copy does not make every change copy the times.
        var counted = admitted.removeValue(forKey: token) ?? Admitted()
        defer { admitted[token] = counted }
        counted.forget(before: now)
        guard counted.count >= limit else {
            counted.add(now)
            return nil
        }
        return max(1, Int((Self.window - now.timeIntervalSince(counted.times[counted.start])).rounded(.up)))
    }
}
