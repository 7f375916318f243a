import Foundation
import Testing
@testable import Fullscript

/// `JSONReader` replaced `JSONDecoder` for `JSONValue(parsing:)`: it must read what the decoder read, and refuse
/// what it refused.
struct JSONReaderTests {
    static func decoded(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test(arguments: [
        #"{"a": "b", "c": {"d": [1, -2.5, 3e2, 0, -0.0, 1E-2, true, false, null]}, "e": []}"#,
        #"  [ {} , [ ] , "" ]  "#, #""x""#, "17", "-0", "null", "true",
        #"{"esc": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00"}"#,
        #"{"utf8": "Zoë 😀 中文"}"#, #"{"k": 1, "k": 2}"#, "\t\r\n{\"a\":\"b\"}\n",
        "123456789012345678901234567890", "1.5e308",
    ])
    func readsWhatTheDecoderRead(text: String) {
        let read = JSONValue(parsing: Array(text.utf8))
        #expect(read != nil)
        #expect(read == Self.decoded(text))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a: 1}"#, "'x'", "01", "1.", ".5", "-", "1e", "+1", "NaN",
        "tru", "nul", "[1] 2", #""abc"#, "\"a\u{01}b\"", #""\x""#, #""\u12""#, #""\ud83d""#, #""\ude00""#,
        #""\ud83d\u0041""#, "{\"a\":1}}", "1e999", "[\"\\",
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(JSONValue(parsing: Array(text.utf8)) == nil)
    }

    @Test func skipsAUTF8ByteOrderMark() {
        #expect(JSONValue(parsing: [0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8)) == .object(["a": .number(1)]))
        #expect(JSONValue(parsing: [0xEF, 0xBB, 0xBF]) == nil)
    }

    @Test func refusesInvalidUTF8() {
        #expect(JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue(parsing: [0x22, 0xED, 0xA0, 0x80, 0x22]) == nil)
        #expect(JSONValue(parsing: [0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
    }

    /// A hostile body cannot run the reader out of stack.
    @Test func limitsNesting() {
        let deepest = String(repeating: "[", count: JSONReader.maximumDepth) + String(repeating: "]", count: JSONReader.maximumDepth)
        #expect(JSONValue(parsing: Array(deepest.utf8)) != nil)
        let deeper = "[" + deepest + "]"
        #expect(JSONValue(parsing: Array(deeper.utf8)) == nil)
        #expect(JSONValue(parsing: Array(String(repeating: "[", count: 100_000).utf8)) == nil)
    }

    @Test func readsAnyCollectionOfBytes() {
        #expect(JSONValue(parsing: Data(#"{"a": ["b"]}"#.utf8)) == .object(["a": .array([.string("b")])]))
        #expect(JSONValue(parsing: #"[1]"#.utf8.reversed().reversed()) == .array([.number(1)]))
    }
}
