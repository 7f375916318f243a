import HTTP1
import HTTPTypes
import Testing

@Suite struct FieldSectionReaderTests {
    @Test(arguments: [
        ("Host : example.com", HTTPParseError.whitespaceBeforeColon),
        ("X-Name\t: value", .whitespaceBeforeColon),
        (" X-Name: value", .obsoleteLineFolding),
        ("\tX-Name: value", .obsoleteLineFolding),
        ("X-Name: value\r\n  continued", .obsoleteLineFolding),
        ("X Name: value", .invalidFieldName),
        ("X-Name", .invalidFieldName),
        (": value", .invalidFieldName),
        ("X(Name): value", .invalidFieldName),
        ("X-Näme: value", .invalidFieldName),
        ("X-Name: a\u{0}b", .invalidFieldValue),
        ("X-Name: a\u{7F}b", .invalidFieldValue),
        ("X-Name: a\u{1B}b", .invalidFieldValue),
        ("X-Name: a\rb", .invalidFieldValue),
        ("X-Name: value\nX-Other: value", .invalidLineEnding),
        ("X-Name: value\n", .invalidLineEnding),
    ])
    func rejectedFieldLine(line: String, error: HTTPParseError) {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\n\(line)\r\n\r\n")
        #expect(decoded == Decoded(error: error))
        #expect(error.status == .badRequest)
    }

    @Test func bareLineFeedEndingTheSection() {
        #expect(rejection("GET / HTTP/1.1\r\nHost: example.com\r\n\n") == .invalidLineEnding)
    }

    @Test func tabInsideValueIsAllowed() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\nX-Tab: a\tb\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(fields: [fieldName("X-Tab"): "a\tb"])), .end]))
    }

    @Test func tokenCharactersInNames() {
        let name = "!#$%&'*+-.^_`|~09azAZ"
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\n\(name): v\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(fields: [fieldName(name): "v"])), .end]))
    }
}
