@testable import HTTPClient
import Testing

struct RetryPolicyTests {
    @Test func delaysStayWithinTheDoublingCeiling() {
        let policy = RetryPolicy()
        for failures in 1...8 {
            let ceiling = min(Duration.seconds(2), .milliseconds(100 * (1 << (failures - 1))))
            for _ in 0..<50 {
                let delay = policy.delay(afterFailures: failures)
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
    }

    @Test func jitterSpreadsTheDelays() {
        let delays = Set((0..<20).map { _ in RetryPolicy().delay(afterFailures: 3) })
        #expect(delays.count > 1)
    }
}
