import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The form every stored time takes, `2026-12-07T10:33:33.472Z`: UTC, milliseconds truncated. Stored times
/// are compared as text, so the form must not change.
enum Timestamp {
    /// The years the form can write: a date outside (one Fullscript sent as a number of seconds, say) is written as
    /// the nearest end, so that it still sorts where it belongs.
    private static let range = -62_135_596_800.0...253_402_300_800.0.nextDown

    /// Written by hand: `Date.formatted(.iso8601…)` (which wrote the rows before) cost 2 µs a click's audit row.
    static func iso8601(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970.isNaN ? 0 : date.timeIntervalSince1970.clamped(to: range)
        var seconds = Int(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if milliseconds >= 1000 {
            milliseconds -= 1000
            seconds += 1
        }
        var time = time_t(seconds)
        var fields = tm()
        gmtime_r(&time, &fields)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func append(_ value: Int, digits: Int, then separator: Character) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
            text.append(separator.asciiValue!)
        }
        append(Int(fields.tm_year) + 1900, digits: 4, then: "-")
        append(Int(fields.tm_mon) + 1, digits: 2, then: "-")
        append(Int(fields.tm_mday), digits: 2, then: "T")
        append(Int(fields.tm_hour), digits: 2, then: ":")
        append(Int(fields.tm_min), digits: 2, then: ":")
        append(Int(fields.tm_sec), digits: 2, then: ".")
        append(milliseconds, digits: 3, then: "Z")
        return String(decoding: text, as: UTF8.self)
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
