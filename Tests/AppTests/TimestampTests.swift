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

    /// Times Fullscript may send as any number of seconds: written within years 1 to 9999, never a crash (a year
    /// below 1 trapped, and one past 9999 lost its first digit).
    @Test(arguments: [(-1e11, "0001-01-01T00:00:00.000Z"), (1e19, "9999-12-31T23:59:59.999Z"), (-Double.infinity, "0001-01-01T00:00:00.000Z"),
                      (Double.infinity, "9999-12-31T23:59:59.999Z"), (Double.nan, "1970-01-01T00:00:00.000Z"),
                      (-62_135_596_800, "0001-01-01T00:00:00.000Z"), (253_402_300_800, "9999-12-31T23:59:59.999Z")])
    func writesEveryDateWithinTheForm(seconds: Double, expected: String) {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: seconds)) == expected)
    }
}
