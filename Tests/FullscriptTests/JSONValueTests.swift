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
