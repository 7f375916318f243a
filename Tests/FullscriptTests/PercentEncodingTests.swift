import Testing
@testable import Fullscript

struct PercentEncodingTests {
    @Test func leavesOnlyUnreservedCharacters() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("page[number]") == "page%5Bnumber%5D")
        #expect(PercentEncoding.encode("a/b c&d=e+f?") == "a%2Fb%20c%26d%3De%2Bf%3F")
        #expect(PercentEncoding.encode("Zoë") == "Zo%C3%AB")
    }

    @Test func joinsQueryPairs() {
        #expect(PercentEncoding.query([("q", "a b"), ("x", "&")]) == "q=a%20b&x=%26")
    }
}
