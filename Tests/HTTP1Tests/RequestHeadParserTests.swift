import HTTP1
import HTTPTypes
import Testing

@Suite struct RequestHeadParserTests {
    @Test(arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Close", false),
        ("HTTP/1.1", "Upgrade, close", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.1", "closed", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "foo ,  keep-alive", true),
        ("HTTP/1.0", "close", false),
        ("HTTP/1.0", "keep-alive, close", false),
    ] as [(String, String?, Bool)])
    func keepAlive(version: String, connection: String?, expected: Bool) {
        let connectionLine = connection.map { "Connection: \($0)\r\n" } ?? ""
        let decoded = decodeBothWays("GET / \(version)\r\nHost: example.com\r\n\(connectionLine)\r\n")
        guard case .head(let head)? = decoded.events.first else {
            Issue.record("no head: \(decoded)")
            return
        }
        #expect(head.keepAlive == expected)
        #expect(head.request.headerFields[.connection] == connection)
    }

    @Test(arguments: [
        ("HTTP/1.1", "100-continue", true),
        ("HTTP/1.1", "100-Continue", true),
        ("HTTP/1.1", "something-else", false),
        ("HTTP/1.0", "100-continue", false),
    ])
    func expectContinue(version: String, expect: String, expected: Bool) {
        let decoded = decodeBothWays(
            "POST / \(version)\r\nHost: example.com\r\nExpect: \(expect)\r\nContent-Length: 2\r\n\r\nhi"
        )
        guard case .head(let head)? = decoded.events.first else {
            Issue.record("no head: \(decoded)")
            return
        }
        #expect(head.expectsContinue == expected)
        #expect(decoded.events.dropFirst() == [.body("hi"), .end])
    }

    @Test func noExpectNoContinue() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded.events.first == .head(makeHead(expectsContinue: false)))
    }

    @Test func hostIsNotKeptInFields() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nAccept: */*\r\nhOsT: Example.COM:8080\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(authority: "Example.COM:8080", fields: [.accept: "*/*"])), .end]))
    }

    @Test func emptyHostMeansNoAuthority() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost:\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(authority: nil)), .end]))
    }

    @Test func http10MayOmitHost() {
        let decoded = decodeBothWays("GET / HTTP/1.0\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(authority: nil, version: .http1_0, keepAlive: false)), .end]))
    }

    @Test func http10HostIsUsed() {
        let decoded = decodeBothWays("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(version: .http1_0, keepAlive: false)), .end]))
    }

    @Test func missingHost() {
        let error = rejection("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")
        #expect(error == .missingHost)
        #expect(error?.status == .badRequest)
    }

    @Test func absoluteFormStillNeedsHost() {
        #expect(rejection("GET http://example.com/ HTTP/1.1\r\n\r\n") == .missingHost)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a.example\r\nhost: b.example\r\n\r\n",
    ])
    func duplicateHost(request: String) {
        let error = rejection(request)
        #expect(error == .duplicateHost)
        #expect(error?.status == .badRequest)
    }

    @Test(arguments: [
        "example.com, other.example",
        "exa mple.com",
        "user@example.com",
        "example.com:80x",
        "example.com/path",
        ":8080",
        "[::1",
        "[]",
        "%zz.example",
    ])
    func invalidHost(host: String) {
        let error = rejection("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        #expect(error == .invalidHost)
        #expect(error?.status == .badRequest)
    }

    @Test(arguments: [
        "example.com",
        "example.com:8080",
        "example.com:",
        "127.0.0.1",
        "[::1]",
        "[2001:db8::1]:443",
        "xn--bcher-kva.example",
        "a%20b.example",
        "under_score.example",
    ])
    func validHost(host: String) {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(authority: host)), .end]))
    }
}
