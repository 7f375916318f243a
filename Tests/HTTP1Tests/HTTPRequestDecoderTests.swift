import HTTP1
import HTTPTypes
import Testing

@Suite struct HTTPRequestDecoderTests {
    @Test func simpleGet() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead()), .end]))
    }

    @Test func queryStringStaysInPath() {
        let decoded = decodeBothWays(
            "GET /search?q=swift%20http&page=2&a[]=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        )
        let head = makeHead(path: "/search?q=swift%20http&page=2&a[]=1", fields: [.accept: "*/*"])
        #expect(decoded == Decoded(events: [.head(head), .end]))
    }

    @Test func headRequest() {
        let decoded = decodeBothWays("HEAD /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(.head, path: "/index.html")), .end]))
    }

    @Test func extensionMethod() {
        let decoded = decodeBothWays("PROPFIND /dav HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(HTTPRequest.Method("PROPFIND")!, path: "/dav")), .end]))
    }

    @Test func fieldsKeepOrderAndCaseAndLoseSurroundingWhitespace() {
        let decoded = decodeBothWays(
            "GET / HTTP/1.1\r\nUser-Agent: test/1.0\r\nHost: example.com\r\nx-lower:  a \t b \t\r\nX-Empty:\r\nAccept: */*\r\n\r\n"
        )
        let fields: HTTPFields = [
            .userAgent: "test/1.0", fieldName("x-lower"): "a \t b", fieldName("X-Empty"): "", .accept: "*/*",
        ]
        #expect(decoded == Decoded(events: [.head(makeHead(fields: fields)), .end]))
        guard case .head(let head)? = decoded.events.first else { return }
        #expect(head.request.headerFields.map(\.name.rawName) == ["User-Agent", "x-lower", "X-Empty", "Accept"])
    }

    @Test func obsTextInValueIsKeptAsBytes() throws {
        let input: [UInt8] = Array("GET / HTTP/1.1\r\nHost: example.com\r\nX-Latin1: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        let decoded = decodeBothWays(input)
        guard case .head(let head)? = decoded.events.first else {
            Issue.record("no head: \(decoded)")
            return
        }
        let field = try #require(head.request.headerFields.first)
        #expect(field.withUnsafeBytesOfValue { Array($0) } == Array("caf".utf8) + [0xE9])
    }

    @Test func contentLengthBody() {
        let decoded = decodeBothWays("POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n\r\nhello world")
        let head = makeHead(.post, path: "/submit", fields: [.contentLength: "11"], framing: .contentLength(11))
        #expect(decoded == Decoded(events: [.head(head), .body("hello world"), .end]))
    }

    @Test func zeroContentLengthEndsRightAway() {
        let decoded = decodeBothWays("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n")
        let head = makeHead(.post, fields: [.contentLength: "0"], framing: .contentLength(0))
        #expect(decoded == Decoded(events: [.head(head), .end]))
    }

    @Test func requestWithoutFramingFieldsHasNoBody() {
        let decoded = decodeBothWays("POST / HTTP/1.1\r\nHost: example.com\r\n\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead(.post)), .end, .head(makeHead()), .end]))
    }

    @Test func pipelinedRequestsInOneBuffer() {
        let decoded = decodeBothWays(
            "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc"
                + "POST /c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                + "GET /d HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
        )
        let expected = Decoded(events: [
            .head(makeHead(path: "/a")), .end,
            .head(makeHead(.post, path: "/b", fields: [.contentLength: "3"], framing: .contentLength(3))),
            .body("abc"), .end,
            .head(makeHead(.post, path: "/c", fields: [.transferEncoding: "chunked"], framing: .chunked)),
            .body("xy"), .end,
            .head(makeHead(path: "/d", fields: [.connection: "close"], keepAlive: false)), .end,
        ])
        #expect(decoded == expected)
    }

    @Test func leadingEmptyLinesAreSkipped() {
        let decoded = decodeBothWays("\r\n\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(decoded == Decoded(events: [.head(makeHead()), .end]))
    }

    @Test func emptyLineAfterBodyBeforeNextRequestIsSkipped() {
        let decoded = decodeBothWays(
            "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nok\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
        )
        let post = makeHead(.post, fields: [.contentLength: "2"], framing: .contentLength(2))
        #expect(decoded == Decoded(events: [.head(post), .body("ok"), .end, .head(makeHead()), .end]))
    }

    @Test func bodyIsHandedOutAsItArrives() throws {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array("PUT /f HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(try decoder.next() == .head(makeHead(.put, path: "/f", fields: [.contentLength: "10"], framing: .contentLength(10))))
        #expect(try decoder.next() == .body("abc"))
        #expect(try decoder.next() == nil)
        decoder.append(Array("defg".utf8))
        #expect(try decoder.next() == .body("defg"))
        #expect(try decoder.next() == nil)
        decoder.append(Array("hijGET".utf8))
        #expect(try decoder.next() == .body("hij"))
        #expect(try decoder.next() == .end)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 3)
    }

    @Test func unsafeRawBufferAppend() throws {
        var decoder = HTTPRequestDecoder()
        Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8).withUnsafeBytes { decoder.append($0) }
        #expect(try decoder.next() == .head(makeHead()))
        #expect(try decoder.next() == .end)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func bufferedByteCountShowsWaitingPipelinedRequest() throws {
        var decoder = HTTPRequestDecoder()
        let second = "GET /2 HTTP/1.1\r\nHost: example.com\r\n\r\n"
        decoder.append(Array(("GET /1 HTTP/1.1\r\nHost: example.com\r\n\r\n" + second).utf8))
        #expect(decoder.bufferedByteCount == 2 * second.utf8.count)
        #expect(try decoder.next() == .head(makeHead(path: "/1")))
        #expect(decoder.bufferedByteCount == second.utf8.count)
        #expect(try decoder.next() == .end)
        #expect(try decoder.next() == .head(makeHead(path: "/2")))
        #expect(try decoder.next() == .end)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func longLivedConnectionDecodesManyRequests() throws {
        var decoder = HTTPRequestDecoder()
        let request = Array("POST /p HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello".utf8)
        var completed = 0
        // Split at an odd size so requests straddle appends.
        let stream = Array(repeatElement(request, count: 2000).joined())
        var offset = 0
        while offset < stream.count {
            let end = min(offset + 1000, stream.count)
            decoder.append(stream[offset..<end])
            offset = end
            while let event = try decoder.next() {
                if event == .end { completed += 1 }
            }
            #expect(decoder.bufferedByteCount < request.count)
        }
        #expect(completed == 2000)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func decoderStaysFailedAfterAnError() {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array("GET / HTTP/1.1\r\nHost : example.com\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.whitespaceBeforeColon) { try decoder.next() }
        decoder.append(Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.whitespaceBeforeColon) { try decoder.next() }
    }

    @Test func incompleteHeadWaits() throws {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r".utf8))
        #expect(try decoder.next() == nil)
        decoder.append(CollectionOfOne(UInt8(ascii: "\n")))
        #expect(try decoder.next() == .head(makeHead()))
    }
}
