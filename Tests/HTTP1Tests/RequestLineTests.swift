import HTTP1
import HTTPTypes
import Testing

@Suite struct RequestLineTests {
    @Test func http10() {
        let decoded = decodeBothWays("GET /old HTTP/1.0\r\n\r\n")
        let head = makeHead(authority: nil, path: "/old", version: .http1_0, keepAlive: false)
        #expect(decoded == Decoded(events: [.head(head), .end]))
    }

    @Test func absoluteFormTakesAuthorityFromTarget() {
        let decoded = decodeBothWays("GET http://origin.example:8080/a/b?c=d HTTP/1.1\r\nHost: ignored.example\r\n\r\n")
        let head = makeHead(scheme: "http", authority: "origin.example:8080", path: "/a/b?c=d")
        #expect(decoded == Decoded(events: [.head(head), .end]))
    }

    @Test(arguments: [
        ("https://example.com", "https", "/"),
        ("HTTP://example.com?x=1", "http", "/?x=1"),
        ("http://[::1]:80/p", "http", "/p"),
    ])
    func absoluteFormVariants(target: String, scheme: String, path: String) throws {
        let decoded = decodeBothWays("GET \(target) HTTP/1.1\r\nHost: example.com\r\n\r\n")
        guard case .head(let head)? = decoded.events.first else {
            Issue.record("no head: \(decoded)")
            return
        }
        #expect(head.request.scheme == scheme)
        #expect(head.request.path == path)
    }

    @Test func asteriskFormWithOptions() {
        let decoded = decodeBothWays("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(.options, path: "*")), .end]))
    }

    @Test func authorityFormWithConnect() {
        let decoded = decodeBothWays("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(.connect, authority: "example.com:443", path: nil)), .end]))
    }

    @Test(arguments: [
        ("G(T / HTTP/1.1", HTTPParseError.invalidMethod),
        (" GET / HTTP/1.1", .invalidMethod),
        ("GE\u{1}T / HTTP/1.1", .invalidMethod),
        ("GET", .invalidRequestTarget),
        ("GET  / HTTP/1.1", .invalidRequestTarget),
        ("GET /a b HTTP/1.1", .invalidRequestTarget),
        ("GET /a\tb HTTP/1.1", .invalidRequestTarget),
        ("GET /\u{7F} HTTP/1.1", .invalidRequestTarget),
        ("GET /caf\u{E9} HTTP/1.1", .invalidRequestTarget),
        ("GET /page#fragment HTTP/1.1", .invalidRequestTarget),
        ("GET * HTTP/1.1", .invalidRequestTarget),
        ("OPTIONS *x HTTP/1.1", .invalidRequestTarget),
        ("GET example.com:80 HTTP/1.1", .invalidRequestTarget),
        ("CONNECT / HTTP/1.1", .invalidRequestTarget),
        ("CONNECT example.com HTTP/1.1", .invalidRequestTarget),
        ("CONNECT user@example.com:443 HTTP/1.1", .invalidRequestTarget),
        ("GET ftp://example.com/ HTTP/1.1", .invalidRequestTarget),
        ("GET http:/example.com/ HTTP/1.1", .invalidRequestTarget),
        ("GET http:///path HTTP/1.1", .invalidRequestTarget),
        ("GET http://user:pw@example.com/ HTTP/1.1", .invalidRequestTarget),
        ("GET http://exa<mple.com/ HTTP/1.1", .invalidRequestTarget),
        ("GET / HTTP/1.1 ", .invalidVersion),
        ("GET / http/1.1", .invalidVersion),
        ("GET / HTTP/1.10", .invalidVersion),
        ("GET / HTTP/11", .invalidVersion),
        ("GET / HTTP/1.x", .invalidVersion),
        ("GET / HTTP/1.1\r", .invalidVersion),
        ("GET / HTTP/2.0", .unsupportedVersion),
        ("GET / HTTP/1.2", .unsupportedVersion),
        ("GET / HTTP/0.9", .unsupportedVersion),
        ("GET /index.html", .unsupportedVersion),
        ("GET HTTP/1.1", .invalidRequestTarget),
        ("GET HTTP/1.0", .invalidRequestTarget),
        ("GET http://example.com/", .invalidRequestTarget),
        ("GET / HTTP/1.1\n", .invalidLineEnding),
    ])
    func rejectedRequestLine(line: String, error: HTTPParseError) {
        #expect(rejection("\(line)\r\nHost: example.com\r\n\r\n") == error)
    }

    @Test func statusOfRequestLineErrors() {
        #expect(rejection("G(T / HTTP/1.1\r\n\r\n")?.status == .badRequest)
        #expect(rejection("GET /a b HTTP/1.1\r\n\r\n")?.status == .badRequest)
        #expect(rejection("GET / HTTP/x\r\n\r\n")?.status == .badRequest)
        #expect(rejection("GET / HTTP/2.0\r\n\r\n")?.status == .httpVersionNotSupported)
        #expect(rejection("GET /\r\n")?.status == .httpVersionNotSupported)
        #expect(rejection("GET HTTP/1.1\r\nHost: example.com\r\n\r\n")?.status == .badRequest)
    }

    /// A method is a token, so the first byte that can't be part of one (before the first SP) settles it:
    /// the line is refused then, not when a line end arrives, which a TLS ClientHello or other non-HTTP
    /// client never sends.
    @Test(arguments: [
        [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03],
        Array("GE\u{1}T".utf8),
        Array("GET\t/".utf8),
        Array(" GET".utf8),
        Array("\r\nG(T".utf8),
        Array("PRI\u{0}".utf8),
    ] as [[UInt8]])
    func aByteThatCannotBeInAMethodIsRefusedBeforeTheLineEnds(bytes: [UInt8]) {
        #expect(decodeBothWays(bytes).error == .invalidMethod)
    }

    /// Which error a line gets doesn't depend on how it arrives (`decodeBothWays` checks both feedings):
    /// a bad method byte within the length limit is a bad method, one past it a line too long.
    @Test func aBadMethodByteAndTheLineLimitAgreeHoweverTheBytesArrive() {
        let limits = HTTPLimits(maxRequestLineLength: 20)
        #expect(rejection("AAAA\u{16}" + String(repeating: "A", count: 30) + "\r\n", limits: limits) == .invalidMethod)
        #expect(rejection(String(repeating: "A", count: 22) + "\u{16}\r\n", limits: limits) == .requestLineTooLong)
        #expect(rejection("\r\n\r\n" + String(repeating: "A", count: 17) + "\u{16}\r\n", limits: limits) == .requestLineTooLong)
    }

    /// What could still become a request line waits for more.
    @Test(arguments: ["GET", "GET /", "GET /\u{1}", "\r", "\r\n", "\r\nPOST", "M-SEARCH * HTTP/1.1"])
    func aPartialRequestLineThatCouldStillBeValidWaits(partial: String) {
        #expect(decodeBothWays(partial) == Decoded())
    }
}
