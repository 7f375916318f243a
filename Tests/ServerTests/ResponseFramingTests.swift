import HTTP1
import HTTPTypes
@testable import Server
import Testing

/// The framing rules alone, without a socket: which fields the server adds and what follows the head.
@Suite struct ResponseFramingTests {
    private func exchange(_ method: HTTPRequest.Method = .get, version: HTTPVersion = .http1_1, keepAlive: Bool = true) -> Exchange {
        Exchange(id: "req-1", method: method, path: "/", route: "/", version: version, keepAlive: keepAlive, startedAt: 0)
    }

    private func frame(
        _ response: Response, _ exchange: Exchange, mayKeepAlive: Bool = true
    ) -> ResponseFraming {
        ResponseFraming(response, answering: exchange, mayKeepAlive: mayKeepAlive, date: "Sun, 06 Dec 2026 12:00:00 GMT")
    }

    @Test func bytesGetALengthTheDateAndTheRequestID() {
        let framing = frame(.text("hello"), exchange())
        #expect(framing.head.headerFields[.contentLength] == "5")
        #expect(framing.head.headerFields[.date] == "Sun, 06 Dec 2026 12:00:00 GMT")
        #expect(framing.head.headerFields[.xRequestID] == "req-1")
        #expect(framing.head.headerFields[.connection] == nil)
        #expect(framing.keepAlive)
        guard case .bytes(let bytes) = framing.body else { Issue.record("no bytes: \(framing.body)"); return }
        #expect(bytes == Array("hello".utf8))
    }

    @Test func headIsAnsweredWithGetsHeadAndNoBody() {
        let framing = frame(.text("hello"), exchange(.head))
        #expect(framing.head.headerFields[.contentLength] == "5")
        guard case .none = framing.body else { Issue.record("a body for HEAD: \(framing.body)"); return }
    }

    @Test(arguments: [204, 304, 101])
    func statusesWithoutContentSayNothingOfALength(code: Int) {
        let framing = frame(Response(status: .init(code: code), body: .bytes([1, 2, 3])), exchange())
        #expect(framing.head.headerFields[.contentLength] == nil)
        #expect(framing.head.headerFields[.transferEncoding] == nil)
        guard case .none = framing.body else { Issue.record("a body for \(code): \(framing.body)"); return }
    }

    @Test func aStreamIsChunkedInHTTP11AndEndsTheConnectionInHTTP10() {
        let stream = Response(status: .ok, body: .stream { _ in })
        let modern = frame(stream, exchange())
        #expect(modern.head.headerFields[.transferEncoding] == "chunked")
        #expect(modern.keepAlive)
        guard case .stream(_, let chunked) = modern.body else { Issue.record("no stream: \(modern.body)"); return }
        #expect(chunked)

        let old = frame(stream, exchange(version: .http1_0))
        #expect(old.head.headerFields[.transferEncoding] == nil)
        #expect(old.head.headerFields[.contentLength] == nil)
        #expect(old.head.headerFields[.connection] == "close")
        #expect(!old.keepAlive)
        guard case .stream(_, let oldChunked) = old.body else { Issue.record("no stream: \(old.body)"); return }
        #expect(!oldChunked)
    }

    @Test func http10IsToldItsConnectionIsKept() {
        let framing = frame(.text("x"), exchange(version: .http1_0))
        #expect(framing.head.headerFields[.connection] == "keep-alive")
        #expect(framing.keepAlive)
    }

    @Test func theServersReasonsToCloseOverrideTheClientsWish() {
        let draining = frame(.text("x"), exchange(), mayKeepAlive: false)
        #expect(draining.head.headerFields[.connection] == "close")
        #expect(!draining.keepAlive)
        let asked = frame(.text("x"), exchange(keepAlive: false))
        #expect(asked.head.headerFields[.connection] == "close")
        #expect(!asked.keepAlive)
    }

    @Test func anEmptyBodyHasLengthZero() {
        let framing = frame(Response(status: .ok), exchange())
        #expect(framing.head.headerFields[.contentLength] == "0")
        guard case .none = framing.body else { Issue.record("a body: \(framing.body)"); return }
    }
}
