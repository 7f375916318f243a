import HTTP1
import HTTPTypes
import Testing

@Suite struct ChunkedBodyDecoderTests {
    private static let head = "POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
    private static let expectedHead = makeHead(.post, path: "/upload", fields: [.transferEncoding: "chunked"], framing: .chunked)

    @Test func chunks() {
        let decoded = decodeBothWays(Self.head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body("hello world"), .end]))
    }

    @Test func hexSizesAnyCaseWithLeadingZeros() {
        let body = String(repeating: "x", count: 26)
        let decoded = decodeBothWays(Self.head + "000A\r\n\(body.prefix(10))\r\n10\r\n\(body.dropFirst(10))\r\n0000\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body(body), .end]))
    }

    @Test func extensionsAreIgnored() {
        let decoded = decodeBothWays(
            Self.head + "5;name=value\r\nhello\r\n5 ; a = \"q\\\"x;y\" ;b\t;c=d\r\nworld\r\n0;last\r\n\r\n"
        )
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body("helloworld"), .end]))
    }

    @Test func trailers() {
        let decoded = decodeBothWays(Self.head + "3\r\nabc\r\n0\r\nX-Checksum: abc123\r\nX-Count:  1 \r\n\r\n")
        let trailers: HTTPFields = [fieldName("X-Checksum"): "abc123", fieldName("X-Count"): "1"]
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body("abc"), .end(trailers: trailers)]))
    }

    @Test func emptyBody() {
        let decoded = decodeBothWays(Self.head + "0\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .end]))
    }

    @Test func pipelinedAfterChunkedBody() {
        let decoded = decodeBothWays(Self.head + "1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body("a"), .end, .head(makeHead()), .end]))
    }

    @Test func dataIsHandedOutBeforeTheChunkIsComplete() throws {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array((Self.head + "a\r\nhel").utf8))
        #expect(try decoder.next() == .head(Self.expectedHead))
        #expect(try decoder.next() == .body("hel"))
        #expect(try decoder.next() == nil)
        decoder.append(Array("lo worl".utf8))
        #expect(try decoder.next() == .body("lo worl"))
        #expect(try decoder.next() == nil)
    }

    @Test(arguments: [
        ("\r\n", HTTPParseError.invalidChunkSize),
        ("g\r\n", .invalidChunkSize),
        ("5x\r\nhello\r\n", .invalidChunkSize),
        ("-5\r\n", .invalidChunkSize),
        ("+5\r\n", .invalidChunkSize),
        ("0x5\r\n", .invalidChunkSize),
        ("00000000000000005\r\nhello\r\n", .invalidChunkSize),
        ("8000000000000000\r\n", .invalidChunkSize),
        ("5 \r\nhello\r\n", .invalidChunkExtension),
        ("5;\r\nhello\r\n", .invalidChunkExtension),
        ("5;a=\r\nhello\r\n", .invalidChunkExtension),
        ("5;a=b c\r\nhello\r\n", .invalidChunkExtension),
        ("5;a=\"open\r\nhello\r\n", .invalidChunkExtension),
        ("5;a=\"\u{1}\"\r\nhello\r\n", .invalidChunkExtension),
        ("5;(\r\nhello\r\n", .invalidChunkExtension),
        ("5;" + String(repeating: "a", count: 5000) + "\r\nhello\r\n", .chunkExtensionTooLong),
        ("5\r\nhelloX\r\n0\r\n\r\n", .invalidChunkFraming),
        ("5\r\nhello\n0\r\n\r\n", .invalidChunkFraming),
        ("5\r\nhello\r\r\n", .invalidChunkFraming),
        ("5\nhello\r\n", .invalidLineEnding),
        ("0\r\nX : y\r\n\r\n", .whitespaceBeforeColon),
        ("0\r\nX: y\n\r\n", .invalidLineEnding),
        ("0\r\n\n", .invalidLineEnding),
        ("0\r\n x\r\n\r\n", .obsoleteLineFolding),
    ])
    func rejectedChunkedBody(body: String, error: HTTPParseError) {
        let decoded = decodeBothWays(Self.head + body)
        #expect(decoded.events.first == .head(Self.expectedHead))
        #expect(decoded.error == error)
        #expect(error.status == .badRequest)
    }

    @Test func fullSizeLineAtTheLimitIsAccepted() {
        let extensions = ";" + String(repeating: "a", count: 4096 - 2)
        let decoded = decodeBothWays(Self.head + "1\(extensions)\r\nx\r\n0\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead), .body("x"), .end]))
        #expect(rejection(Self.head + "1\(extensions)a\r\nx\r\n0\r\n\r\n") == .chunkExtensionTooLong)
    }

    @Test func largestChunkSizeIsRejectedByTheBodyLimit() {
        let decoded = decodeBothWays(Self.head + "7fffffffffffffff\r\n")
        #expect(decoded == Decoded(events: [.head(Self.expectedHead)], error: .bodyTooLarge))
    }

    @Test func trailerSectionHasTheHeaderLimits() {
        let limits = HTTPLimits(maxHeaderFieldCount: 2)
        let twoTrailers = "0\r\nA: 1\r\nB: 2\r\n\r\n"
        let accepted = decodeBothWays(Self.head + twoTrailers, limits: limits)
        #expect(accepted.error == nil)
        let rejected = decodeBothWays(Self.head + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)
        #expect(rejected == Decoded(events: [.head(Self.expectedHead)], error: .tooManyHeaderFields))
        let longTrailer = "0\r\nX: " + String(repeating: "v", count: 16384) + "\r\n\r\n"
        #expect(rejection(Self.head + longTrailer) == .headerSectionTooLarge)
    }
}
