import Testing
@testable import Fullscript

struct EnvelopeTests {
    @Test func readsTheNamedMemberOnly() throws {
        #expect(try Envelope<String>.decode(Array(#"{"clinic": "c", "other": 1}"#.utf8), member: "clinic").value == "c")
        #expect(throws: DecodingError.self) { try Envelope<String>.decode(Array(#"{"other": "c"}"#.utf8), member: "clinic") }
    }
}
