import Foundation
import Testing
@testable import Fullscript

struct TimestampTests {
    @Test func parsesISOWithAndWithoutFractionAndWithOffsets() throws {
        let expected = Date(timeIntervalSince1970: 1_623_855_441)
        #expect(Timestamp.parse("2021-06-16T14:57:21.000Z") == expected)
        #expect(Timestamp.parse("2021-06-16T14:57:21Z") == expected)
        #expect(Timestamp.parse("2021-06-16T10:57:21-04:00") == expected)
        #expect(Timestamp.parse("2021-06-16T10:57:21.000-04:00") == expected)
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.format(expected) == "2021-06-16T14:57:21.000Z")
    }
}
