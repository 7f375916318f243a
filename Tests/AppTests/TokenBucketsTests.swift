@testable import App
import Foundation
import Testing

struct TokenBucketsTests {
    @Test func aBurstThenTheRefillRate() {
        let clock = TestClock()
        let buckets = TokenBuckets(perMinute: 60, burst: 3, now: { clock.now() })
        #expect((0..<3).map { _ in buckets.take("alice") } == [nil, nil, nil])
        #expect(buckets.take("alice") == 1, "one token a second: wait 1 s")
        #expect(buckets.take("bob") == nil, "each key has its own bucket")
        clock.advance(by: 1)
        #expect(buckets.take("alice") == nil)
        #expect(buckets.take("alice") == 1)
        clock.advance(by: 3600)
        #expect((0..<4).map { _ in buckets.take("alice") } == [nil, nil, nil, 1], "refills to the burst, never beyond")
    }

    @Test func slowRatesAskForTheWholeWait() {
        let clock = TestClock()
        let buckets = TokenBuckets(perMinute: 2, burst: 1, now: { clock.now() })
        #expect(buckets.take("svc") == nil)
        #expect(buckets.take("svc") == 30)
        clock.advance(by: 20)
        #expect(buckets.take("svc") == 10)
    }

    @Test func quietKeysAreForgottenWhenTheTableIsFull() {
        let clock = TestClock()
        let buckets = TokenBuckets(perMinute: 60, burst: 2, maxKeys: 3, now: { clock.now() })
        for key in ["a", "b", "c"] { _ = buckets.take(key) }
        _ = buckets.take("c")
        clock.advance(by: 1)  // a and b are full again, c is not
        _ = buckets.take("d")
        #expect(buckets.keyCount == 2, "a and b dropped, c kept with its debt, d added")
        #expect(buckets.take("c") == nil)
        #expect(buckets.take("c") == 1, "c's state survived the pruning")
    }
}
