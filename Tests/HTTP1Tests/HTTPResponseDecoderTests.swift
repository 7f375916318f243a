import HTTP1
import HTTPTypes
import Testing

/// What a response decoder produced: its events (bodies merged), then the error that stopped it.
private struct DecodedResponse: Equatable {
    var events: [HTTPResponseDecoder.Event] = []
    var error: HTTPResponseParseError?
    var leftover = 0

    mutating func record(_ event: HTTPResponseDecoder.Event) {
        if case .body(let more) = event, case .body(let earlier)? = events.last {
            events[events.count - 1] = .body(earlier + more)
        } else {
            events.append(event)
        }
    }
}

/// Feeds `input` in pieces of `pieceSize` bytes, draining after each, then ends the input when
/// `closes` says the server closed the connection.
private func decodeResponse(
    _ input: [UInt8], method: HTTPRequest.Method, bodyLimit: Int?, closes: Bool, pieceSize: Int
) -> DecodedResponse {
    var decoder = HTTPResponseDecoder(requestMethod: method)
    if let bodyLimit { decoder.bodyLimit = bodyLimit }
    var decoded = DecodedResponse()
    func drain() -> Bool {
        do {
            while let event = try decoder.next() {
                #expect(event != .body([]), "body events are never empty")
                decoded.record(event)
            }
            return true
        } catch {
            decoded.error = error
            return false
        }
    }
    var offset = 0
    while offset < input.count {
        decoder.append(input[offset..<min(offset + pieceSize, input.count)])
        offset += pieceSize
        guard drain() else { return decoded }
    }
    if closes {
        decoder.inputEnded()
        _ = drain()
    }
    decoded.leftover = decoder.bufferedByteCount
    return decoded
}

/// Decodes whole, a byte at a time and in 7-byte pieces, expecting all three to agree.
private func decodeEveryWay(
    _ input: String,
    method: HTTPRequest.Method = .get,
    bodyLimit: Int? = nil,
    closes: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> DecodedResponse {
    let bytes = Array(input.utf8)
    let whole = decodeResponse(bytes, method: method, bodyLimit: bodyLimit, closes: closes, pieceSize: max(1, bytes.count))
    for pieceSize in [1, 7] {
        let split = decodeResponse(bytes, method: method, bodyLimit: bodyLimit, closes: closes, pieceSize: pieceSize)
        #expect(split == whole, "pieces of \(pieceSize) must decode the same", sourceLocation: sourceLocation)
    }
    return whole
}

private func response(_ status: HTTPResponse.Status, _ fields: HTTPFields = [:]) -> HTTPResponse {
    HTTPResponse(status: status, headerFields: fields)
}

private extension HTTPResponseDecoder.Event {
    static func body(_ text: String) -> Self { .body(Array(text.utf8)) }
}

@Suite struct HTTPResponseDecoderTests {
    @Test func contentLengthBody() {
        let decoded = decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        let head = response(.ok, [.contentLength: "5", .contentType: "text/plain"])
        #expect(decoded == DecodedResponse(events: [.head(head, keepAlive: true), .body("hello"), .end]))
    }

    @Test func keepsTheServersReasonPhrase() {
        let decoded = decodeEveryWay("HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n")
        guard case .head(let head, _)? = decoded.events.first else {
            Issue.record("no head")
            return
        }
        #expect(head.status.code == 404)
        #expect(head.status.reasonPhrase == "Nope")
    }

    @Test func acceptsAStatusLineWithoutReason() {
        let decoded = decodeEveryWay("HTTP/1.1 204\r\n\r\n")
        #expect(decoded.events.count == 2)
        #expect(decoded.error == nil)
    }

    @Test func chunkedBodyWithTrailers() {
        let decoded = decodeEveryWay(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
        )
        let head = response(.ok, [.transferEncoding: "chunked"])
        #expect(decoded == DecodedResponse(events: [.head(head, keepAlive: true), .body("hello world"), .end]))
    }

    @Test func readsUntilCloseWithoutFraming() {
        let decoded = decodeEveryWay("HTTP/1.1 200 OK\r\n\r\nall of it", closes: true)
        #expect(decoded == DecodedResponse(events: [.head(response(.ok), keepAlive: false), .body("all of it"), .end]))
    }

    @Test func headAnd204And304HaveNoBody() {
        let head = decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", method: .head)
        #expect(head == DecodedResponse(events: [.head(response(.ok, [.contentLength: "42"]), keepAlive: true), .end]))
        for code in [204, 304] {
            let decoded = decodeEveryWay("HTTP/1.1 \(code) X\r\n\r\n")
            #expect(decoded.events.last == .end)
            #expect(decoded.events.count == 2)
        }
    }

    @Test func skipsInterimResponses() {
        let decoded = decodeEveryWay(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        )
        #expect(decoded == DecodedResponse(events: [.head(response(.ok, [.contentLength: "2"]), keepAlive: true), .body("ok"), .end]))
    }

    @Test func refusesAnUnrequestedUpgrade() {
        #expect(decodeEveryWay("HTTP/1.1 101 Switching Protocols\r\n\r\n").error == .unexpectedUpgrade)
    }

    @Test func connectionFieldDecidesPersistence() {
        let closing = decodeEveryWay("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        #expect(closing.events.first == .head(response(.ok, [.connection: "close", .contentLength: "0"]), keepAlive: false))
        let old = decodeEveryWay("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(old.events.first == .head(response(.ok, [.contentLength: "0"]), keepAlive: false))
        let oldKept = decodeEveryWay("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
        #expect(oldKept.events.first == .head(response(.ok, [.connection: "keep-alive", .contentLength: "0"]), keepAlive: true))
    }

    @Test func bodyLimitAppliesToEveryFraming() {
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", bodyLimit: 10).error == .message(.bodyTooLarge))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n", bodyLimit: 10).error == .message(.bodyTooLarge))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\n\r\n01234567890", bodyLimit: 10, closes: true).error == .message(.bodyTooLarge))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", bodyLimit: 10).error == nil)
    }

    @Test func closeBeforeTheEndIsTruncation() {
        #expect(decodeEveryWay("", closes: true).error == .truncated)
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Len", closes: true).error == .truncated)
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", closes: true).error == .truncated)
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", closes: true).error == .truncated)
    }

    @Test func countsBytesBeyondTheResponse() {
        let decoded = decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
        #expect(decoded.events.last == .end)
        #expect(decoded.leftover == 5)
    }

    @Test func rejectsMalformedHeads() {
        #expect(decodeEveryWay("HTTP/1.1 20 OK\r\n\r\n").error == .invalidStatusLine)
        #expect(decodeEveryWay("HTTP/1.1 2000 OK\r\n\r\n").error == .invalidStatusLine)
        #expect(decodeEveryWay("HTTP/1.1 099 Low\r\n\r\n").error == .invalidStatusLine)
        #expect(decodeEveryWay("HTTP/2.0 200 OK\r\n\r\n").error == .unsupportedVersion)
        #expect(decodeEveryWay("ICY 200 OK\r\n\r\n").error == .invalidStatusLine)
        #expect(decodeEveryWay("HTTP/1.1 200 OK\n\n").error == .message(.invalidLineEnding))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n").error == .message(.invalidFieldName))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n").error == .message(.invalidContentLength))
        #expect(
            decodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").error
                == .message(.contentLengthWithTransferEncoding)
        )
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").error == .message(.unsupportedTransferCoding))
        #expect(decodeEveryWay("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error == .message(.invalidChunkSize))
    }

    @Test func statusLineHasALengthLimit() {
        let long = "HTTP/1.1 200 " + String(repeating: "a", count: 9000)
        #expect(decodeEveryWay(long).error == .statusLineTooLong)
    }

    @Test func anErrorSticks() {
        var decoder = HTTPResponseDecoder(requestMethod: .get)
        decoder.append(Array("HTTX/1.1 200 OK\r\n\r\n".utf8))
        #expect(throws: HTTPResponseParseError.invalidStatusLine) { try decoder.next() }
        #expect(throws: HTTPResponseParseError.invalidStatusLine) { try decoder.next() }
    }
}
