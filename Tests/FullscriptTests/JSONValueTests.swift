import Foundation
import Testing
@testable import Fullscript

struct JSONValueTests {
    @Test func readsAnyJSONAndIDsFromStringsOrIntegers() {
        let value = Fixture.json(#"{"a": [1, true, null, "x"], "id": 42, "fraction": 1.5}"#)
        #expect(value?["a"] == .array([.number(1), .bool(true), .null, .string("x")]))
        #expect(value?["id"]?.string == "42")
        #expect(value?["fraction"]?.string == nil)
        #expect(value?["missing"] == nil)
        #expect(Fixture.json("not json") == nil)
    }
}

struct JSONValueEncodingTests {
    @Test func encodesBackToEquivalentJSON() throws {
        let text = #"{"a":[1,2.5,"x",true,null],"b":{"c":"d"}}"#
        let value = try #require(JSONValue(parsing: Array(text.utf8)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let again = try encoder.encode(value)
        #expect(JSONValue(parsing: Array(again)) == value)
        #expect(String(decoding: again, as: UTF8.self) == #"{"a":[1,2.5,"x",true,null],"b":{"c":"d"}}"#)
    }
}
