import HTTPTypes
import Testing

@testable import HTTP1

@Suite struct CommonFieldNamesTests {
    private func lookup(_ name: String) -> HTTPField.Name? {
        Array(name.utf8).withUnsafeBufferPointer { CommonFieldNames.lookup($0) }
    }

    @Test func usualSpellingsMapToPredefinedNames() {
        #expect(lookup("User-Agent") == .userAgent)
        #expect(lookup("Accept-Language") == .acceptLanguage)
        #expect(lookup("Transfer-Encoding") == .transferEncoding)
        #expect(lookup("If-Modified-Since") == .ifModifiedSince)
    }

    @Test func otherSpellingsFallThrough() {
        #expect(lookup("user-agent") == nil)
        #expect(lookup("X-Unknown") == nil)
        #expect(lookup("Accept-Languagf") == nil)
    }

    @Test func decodedNamesKeepTheirWireSpelling() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\nuser-agent: a\r\nUser-Agent: b\r\n\r\n")
        guard case .head(let head)? = decoded.events.first else {
            Issue.record("no head: \(decoded)")
            return
        }
        #expect(head.request.headerFields.map(\.name.rawName) == ["user-agent", "User-Agent"])
        #expect(head.request.headerFields[values: .userAgent] == ["a", "b"])
    }
}
