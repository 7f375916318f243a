import HTTP1
import HTTPTypes
import Testing

@Suite struct HTTPLimitsTests {
    @Test func defaults() {
        let limits = HTTPLimits()
        #expect(limits.maxRequestLineLength == 8192)
        #expect(limits.maxHeaderSectionSize == 16384)
        #expect(limits.maxHeaderFieldCount == 100)
        #expect(limits.maxBodySize == 16 * 1024)
    }

    /// "GET /" + padding + " HTTP/1.1" is exactly `length` bytes long.
    private static func requestLine(length: Int) -> String {
        "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1"
    }

    @Test func requestLineAtTheLimitIsAccepted() {
        let limits = HTTPLimits(maxRequestLineLength: 40)
        let decoded = decodeBothWays(Self.requestLine(length: 40) + "\r\nHost: example.com\r\n\r\n", limits: limits)
        #expect(decoded.error == nil)
        #expect(decoded.events.count == 2)
    }

    @Test func requestLineOverTheLimit() {
        let limits = HTTPLimits(maxRequestLineLength: 40)
        let error = rejection(Self.requestLine(length: 41) + "\r\nHost: example.com\r\n\r\n", limits: limits)
        #expect(error == .requestLineTooLong)
        #expect(error?.status == .uriTooLong)
    }

    @Test func requestLineLimitTriggersBeforeAnyLineFeed() throws {
        let limits = HTTPLimits(maxRequestLineLength: 40)
        var atLimit = HTTPRequestDecoder(limits: limits)
        atLimit.append(Array(Self.requestLine(length: 40).utf8) + [UInt8(ascii: "\r")])
        #expect(try atLimit.next() == nil)
        var overLimit = HTTPRequestDecoder(limits: limits)
        overLimit.append(Array(Self.requestLine(length: 41).utf8))
        #expect(throws: HTTPParseError.requestLineTooLong) { try overLimit.next() }
    }

    @Test func defaultRequestLineLimitWithoutLineFeed() throws {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array(("GET /" + String(repeating: "a", count: 8187)).utf8))
        #expect(try decoder.next() == nil)
        decoder.append(CollectionOfOne(UInt8(ascii: "a")))
        #expect(throws: HTTPParseError.requestLineTooLong) { try decoder.next() }
    }

    @Test func leadingEmptyLinesCountAgainstTheRequestLineLimit() {
        let limits = HTTPLimits(maxRequestLineLength: 40)
        let line = Self.requestLine(length: 36) + "\r\nHost: example.com\r\n\r\n"
        #expect(rejection("\r\n\r\n" + line, limits: limits) == nil)
        #expect(rejection("\r\n\r\n\r\n" + line, limits: limits) == .requestLineTooLong)
        #expect(rejection(String(repeating: "\r\n", count: 100), limits: HTTPLimits(maxRequestLineLength: 40)) == .requestLineTooLong)
    }

    /// Header section of `size` bytes: Host line, one padded field line, the empty line.
    private static func headerSection(size: Int) -> String {
        let fixed = "Host: example.com\r\nX-Pad: \r\n\r\n".utf8.count
        return "Host: example.com\r\nX-Pad: " + String(repeating: "p", count: size - fixed) + "\r\n\r\n"
    }

    @Test func headerSectionAtTheLimitIsAccepted() {
        let decoded = decodeBothWays("GET / HTTP/1.1\r\n" + Self.headerSection(size: 16384))
        #expect(decoded.error == nil)
        #expect(decoded.events.count == 2)
    }

    @Test func headerSectionOverTheLimit() {
        let error = rejection("GET / HTTP/1.1\r\n" + Self.headerSection(size: 16385))
        #expect(error == .headerSectionTooLarge)
        #expect(error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func headerSectionLimitTriggersWithoutTheEndOfTheHead() throws {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits(maxHeaderSectionSize: 100))
        decoder.append(Array(("GET / HTTP/1.1\r\nX-Pad: " + String(repeating: "p", count: 93)).utf8))
        #expect(try decoder.next() == nil)
        decoder.append(CollectionOfOne(UInt8(ascii: "p")))
        #expect(throws: HTTPParseError.headerSectionTooLarge) { try decoder.next() }
    }

    @Test func fieldCount() {
        let limits = HTTPLimits(maxHeaderFieldCount: 3)
        let accepted = decodeBothWays("GET / HTTP/1.1\r\nHost: example.com\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits)
        #expect(accepted.error == nil)
        let error = rejection("GET / HTTP/1.1\r\nHost: example.com\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)
        #expect(error == .tooManyHeaderFields)
        #expect(error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func contentLengthOverTheBodyLimitFailsBeforeTheBodyIsRead() throws {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits(maxBodySize: 4))
        decoder.append(Array("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello".utf8))
        #expect(try decoder.next() == .head(makeHead(.post, fields: [.contentLength: "5"], framing: .contentLength(5))))
        #expect(decoder.bufferedByteCount == 5)
        #expect(throws: HTTPParseError.bodyTooLarge) { try decoder.next() }
        #expect(decoder.bufferedByteCount == 5)
        #expect(HTTPParseError.bodyTooLarge.status == .contentTooLarge)
    }

    @Test func contentLengthBodyLimitBothWays() {
        let request = "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello"
        let head = makeHead(.post, fields: [.contentLength: "5"], framing: .contentLength(5))
        #expect(decodeBothWays(request, limits: HTTPLimits(maxBodySize: 4)) == Decoded(events: [.head(head)], error: .bodyTooLarge))
        #expect(decodeBothWays(request, limits: HTTPLimits(maxBodySize: 5)) == Decoded(events: [.head(head), .body("hello"), .end]))
    }

    @Test func bodyLimitOverrideRaisesTheLimit() {
        let request = "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello"
        let decoded = decodeBothWays(request, limits: HTTPLimits(maxBodySize: 4), bodyLimit: 10)
        #expect(decoded.error == nil)
        #expect(decoded.events.dropFirst() == [.body("hello"), .end])
    }

    @Test func bodyLimitOverrideLowersTheLimit() {
        let chunked = "POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
        let decoded = decodeBothWays(chunked, bodyLimit: 5)
        #expect(decoded.events.dropFirst() == [.body("abc")])
        #expect(decoded.error == .bodyTooLarge)
        #expect(decodeBothWays(chunked, bodyLimit: 6).error == nil)
    }

    @Test func bodyLimitIsResetForEachRequest() throws {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits(maxBodySize: 4))
        decoder.append(Array("POST /a HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello".utf8))
        decoder.append(Array("POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello".utf8))
        guard case .head? = try decoder.next() else { throw Failure.expectedHead }
        decoder.bodyLimit = 5
        #expect(try decoder.next() == .body("hello"))
        #expect(try decoder.next() == .end)
        guard case .head? = try decoder.next() else { throw Failure.expectedHead }
        #expect(decoder.bodyLimit == 4)
        #expect(throws: HTTPParseError.bodyTooLarge) { try decoder.next() }
    }

    private enum Failure: Error {
        case expectedHead
    }
}
