@testable import FullscriptSandbox
import Server
import Testing

struct JSONTests {
    @Test func serializesInOrderWithEscapesAndNulls() {
        let value = JSON.object([("b", .string("say \"hi\"\n\u{1}")), ("a", .array([.null, .bool(true), .int(-3)]))])
        #expect(value.serialized == #"{"b":"say \"hi\"\n\u0001","a":[null,true,-3]}"#)
    }

    @Test func parsesBooleansAndNumbersDistinctly() throws {
        let value = try #require(JSON.parse(Array(#"{"flag":false,"n":2,"x":1.5,"s":"false"}"#.utf8)))
        guard case .bool(false)? = value["flag"], case .int(2)? = value["n"], case .double(1.5)? = value["x"] else {
            Issue.record("unexpected \(value.serialized)")
            return
        }
        #expect(value["s"]?.text == "false")
        #expect(JSON.parse(Array("{\"a\":".utf8)) == nil)
    }

    @Test func ruby422BodyHoldsAnArrayInAString() {
        let response = Response.unprocessable(["Email can't be blank", "Email is invalid"])
        guard case .bytes(let bytes) = response.body else {
            Issue.record("no body")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"error":"[\"Email can't be blank\", \"Email is invalid\"]"}"#)
    }
}

struct FormEncodingTests {
    @Test func roundTripsReservedCharacters() {
        let encoded = FormURLEncoding.encode([("state", "a b&c=d/é")])
        #expect(FormURLEncoding.decode(Substring(encoded)) == ["state": "a b&c=d/é"])
        #expect(FormURLEncoding.decode("x=1+2&y") == ["x": "1 2", "y": ""])
        #expect(FormEncoding.append([("code", "c")], to: "http://app.test/cb?tenant=1") == "http://app.test/cb?tenant=1&code=c")
    }
}
