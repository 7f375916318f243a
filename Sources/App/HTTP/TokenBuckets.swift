import Foundation
import Locking

/// Token-bucket rate limits, one bucket per key (an EHR user, a service key): `burst` requests at
/// once, refilled at `perMinute`. Memory is bounded: past `maxKeys`, buckets that have refilled
/// completely (their owners went quiet) are forgotten, which loses nothing.
final class TokenBuckets: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: TimeInterval
    }

    private let perSecond: Double
    private let burst: Double
    private let maxKeys: Int
    private let now: @Sendable () -> Date
    private let buckets = PThreadMutex<[String: Bucket]>([:])

    init(perMinute: Int, burst: Int, maxKeys: Int = 100_000, now: @escaping @Sendable () -> Date = Date.init) {
        perSecond = Double(perMinute) / 60
        self.burst = Double(burst)
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Takes a token for `key`: nil when there was one, else the whole seconds until there is.
    func take(_ key: String) -> Int? {
        let time = now().timeIntervalSince1970
        return buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= maxKeys {
                buckets = buckets.filter { refilled($0.value, at: time) < burst }
            }
            var bucket = buckets[key].map { Bucket(tokens: refilled($0, at: time), updated: time) } ?? Bucket(tokens: burst, updated: time)
            defer { buckets[key] = bucket }
            guard bucket.tokens < 1 else {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }

    var keyCount: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket, at time: TimeInterval) -> Double {
        min(burst, bucket.tokens + max(0, time - bucket.updated) * perSecond)
    }
}
