import Foundation
import Testing
@testable import App

struct TimestampTests {
    /// Stored times are compared as text: the hand-written form must be the one Foundation wrote before.
    @Test(arguments: [0, 1, 0.999_9, 951_782_400.5, 1_700_000_000.123_456, 1_798_761_599.999_999, 4_102_444_800.001, 253_402_300_799.998])
    func writesWhatFoundationWrote(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let foundation = date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        #expect(Timestamp.iso8601(date) == foundation)
    }

    @Test func isUTCWithMillisecondsTruncated() {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_796_639_613.472_9)) == "2026-12-07T10:33:33.472Z")
    }
}
