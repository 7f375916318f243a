public import HTTPTypes

/// Incremental HTTP/1.1 response parser (RFC 9112) for one exchange. Feed it bytes in any split
/// with `append`, call `next()` until it returns nil, and call `inputEnded()` when the peer
/// closes, since a response may be delimited by the close itself. Interim 1xx responses are
/// skipped. Bytes left after `.end` stay in `bufferedByteCount`: a server that sent more than
/// its response can't be trusted with another request on the connection.
public struct HTTPResponseDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        /// `keepAlive` says whether the connection may carry another request once this response
        /// has been read to its end.
        case head(HTTPResponse, keepAlive: Bool)
        /// Whatever part of the body has arrived; never empty.
        case body([UInt8])
        case end
    }

    private enum State {
        case statusLine
        case fields(StatusLine)
        case fixedBody(remaining: Int)
        case chunkedBody
        case untilClose(received: Int)
        case ended
        case failed(HTTPResponseParseError)
    }

    private let limits: HTTPLimits
    private let requestMethod: HTTPRequest.Method
    private var input = InputBuffer()
    private var state = State.statusLine
    private var head = ResponseHeadFields()
    private var fieldSection: FieldSectionReader
    private var chunkedDecoder: ChunkedBodyDecoder
    private var inputClosed = false

    /// Longest body accepted, checked against Content-Length before any body byte is consumed and
    /// against chunked or close-delimited bodies as they arrive.
    public var bodyLimit: Int

    public var bufferedByteCount: Int { input.readableCount }

    /// `requestMethod` decides framing, as a response to HEAD never has a body (RFC 9112 §6.3).
    /// `limits.maxRequestLineLength` bounds the status line.
    public init(requestMethod: HTTPRequest.Method, limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        self.requestMethod = requestMethod
        self.fieldSection = FieldSectionReader(limits: limits)
        self.chunkedDecoder = ChunkedBodyDecoder(limits: limits)
        self.bodyLimit = limits.maxBodySize
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        input.append(bytes)
    }

    /// The peer closed the connection: a close-delimited body ends there, anything else still
    /// incomplete is truncated.
    public mutating func inputEnded() {
        inputClosed = true
    }

    /// The next event, or nil when more bytes are needed. After a thrown error the decoder throws
    /// the same error again.
    public mutating func next() throws(HTTPResponseParseError) -> Event? {
        do throws(HTTPResponseParseError) {
            if let event = try step() { return event }
            guard inputClosed else { return nil }
            switch state {
            case .untilClose:
                state = .ended
                return .end
            case .ended:
                return nil
            default:
                throw .truncated
            }
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPResponseParseError) -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .ended:
                return nil
            case .statusLine:
                guard let line = try readStatusLine() else { return nil }
                state = .fields(line)
            case .fields(let line):
                guard let step = try shared({ () throws(HTTPParseError) in try fieldSection.next(from: &input) }) else {
                    return nil
                }
                switch step {
                case .field(let field):
                    try shared { () throws(HTTPParseError) in try head.absorb(field) }
                case .end:
                    if let event = try finishHead(line) { return event }
                }
            case .fixedBody(remaining: 0):
                state = .ended
                return .end
            case .fixedBody(let remaining):
                let count = min(remaining, input.readableCount)
                guard count > 0 else { return nil }
                state = .fixedBody(remaining: remaining - count)
                return .body(input.read(count))
            case .chunkedBody:
                let limit = bodyLimit
                switch try shared({ () throws(HTTPParseError) in try chunkedDecoder.next(from: &input, bodyLimit: limit) }) {
                case nil:
                    return nil
                case .data(let bytes):
                    return .body(bytes)
                case .end:
                    state = .ended
                    return .end
                }
            case .untilClose(let received):
                guard input.readableCount > 0 else { return nil }
                // The bytes within the limit go out first, so the error comes at the same byte
                // however the body was split.
                let count = min(input.readableCount, bodyLimit - received)
                guard count > 0 else { throw .message(.bodyTooLarge) }
                state = .untilClose(received: received + count)
                return .body(input.read(count))
            }
        }
    }

    private mutating func readStatusLine() throws(HTTPResponseParseError) -> StatusLine? {
        let lineFeed = input.firstLineFeed()
        guard input.lengthIgnoringTrailingCR(lineFeed ?? input.readableCount) <= limits.maxRequestLineLength else {
            throw .statusLineTooLong
        }
        guard let lineFeed else { return nil }
        let length = try shared { () throws(HTTPParseError) in try input.contentLength(ofLineEndingAt: lineFeed) }
        let line = try input.withReadableBytes { (bytes) throws(HTTPResponseParseError) in
            try StatusLine(parsing: bytes.extracting(..<length))
        }
        input.consume(length + 2)
        return line
    }

    /// Interim responses are dropped and the next head is read; a final one starts its body
    /// framed as RFC 9112 §6.3 says.
    private mutating func finishHead(_ line: StatusLine) throws(HTTPResponseParseError) -> Event? {
        let code = line.status.code
        let fields = head
        head = ResponseHeadFields()
        fieldSection = FieldSectionReader(limits: limits)
        if code < 200 {
            guard code != 101 else { throw .unexpectedUpgrade }
            state = .statusLine
            return nil
        }
        var keepAlive = !fields.connectionClose && (line.version == .http1_1 || fields.connectionKeepAlive)
        if requestMethod == .head || code == 204 || code == 304 {
            state = .fixedBody(remaining: 0)
        } else {
            switch try shared({ () throws(HTTPParseError) in try fields.framing.requestFraming(version: line.version) }) {
            case .none:
                // Neither Content-Length nor Transfer-Encoding: the body runs until the close.
                state = .untilClose(received: 0)
                keepAlive = false
            case .contentLength(let length):
                guard length <= bodyLimit else { throw .message(.bodyTooLarge) }
                state = .fixedBody(remaining: length)
            case .chunked:
                state = .chunkedBody
            }
        }
        return .head(HTTPResponse(status: line.status, headerFields: fields.fields), keepAlive: keepAlive)
    }

    private func shared<Result>(_ body: () throws(HTTPParseError) -> Result) throws(HTTPResponseParseError) -> Result {
        do {
            return try body()
        } catch {
            throw .message(error)
        }
    }
}

/// The fields of a response head, with those that shape the connection picked out as they pass.
private struct ResponseHeadFields {
    var fields = HTTPFields()
    var framing = BodyFramingFields()
    var connectionClose = false
    var connectionKeepAlive = false

    mutating func absorb(_ field: HTTPField) throws(HTTPParseError) {
        switch field.name {
        case .connection:
            field.withUnsafeBytesOfValue { value in
                if HTTPSyntax.list(value, contains: "close") { connectionClose = true }
                if HTTPSyntax.list(value, contains: "keep-alive") { connectionKeepAlive = true }
            }
        case .contentLength:
            try framing.add(contentLength: field)
        case .transferEncoding:
            framing.add(transferEncoding: field)
        default:
            break
        }
        fields.append(field)
    }
}
