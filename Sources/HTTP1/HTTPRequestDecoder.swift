public import HTTPTypes

/// Incremental HTTP/1.1 request parser (RFC 9112). Feed it bytes in any split with `append`, then
/// call `next()` until it returns nil. Pipelined requests are decoded one after another.
public struct HTTPRequestDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        case head(HTTPRequestHead)
        /// Whatever part of the body has arrived; never empty.
        case body([UInt8])
        /// The request is complete. A request without a body gets `.end` right after `.head`.
        case end(trailers: HTTPFields)
    }

    private enum State {
        case head
        /// The head has been returned; the body limit is applied on the next call so that the
        /// caller can set `bodyLimit` for this request first.
        case bodyStart(HTTPBodyFraming)
        case fixedBody(remaining: Int)
        case chunkedBody
        case failed(HTTPParseError)
    }

    private let limits: HTTPLimits
    private var input = InputBuffer()
    private var state = State.head
    private var headParser: RequestHeadParser
    private var chunkedDecoder: ChunkedBodyDecoder

    /// Body limit for the request whose head was just returned; starts at `limits.maxBodySize`
    /// for every request. A larger Content-Length fails on the next `next()` before any body byte
    /// is consumed; a chunked body fails at the first chunk that would exceed it.
    public var bodyLimit: Int

    /// Bytes received but not yet consumed, e.g. a pipelined request waiting behind this one.
    public var bufferedByteCount: Int { input.readableCount }

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        self.headParser = RequestHeadParser(limits: limits)
        self.chunkedDecoder = ChunkedBodyDecoder(limits: limits)
        self.bodyLimit = limits.maxBodySize
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        input.append(bytes)
    }

    /// The next complete event, or nil when more bytes are needed. After a thrown error the
    /// decoder is dead and throws the same error again: the connection can't be resynchronised,
    /// so the server answers `error.status` and closes.
    public mutating func next() throws(HTTPParseError) -> Event? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> Event? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            guard let head = try headParser.parse(&input) else { return nil }
            bodyLimit = limits.maxBodySize
            state = .bodyStart(head.framing)
            return .head(head)
        case .bodyStart(.none):
            return endMessage(trailers: [:])
        case .bodyStart(.contentLength(let length)):
            guard length <= bodyLimit else { throw .bodyTooLarge }
            state = .fixedBody(remaining: length)
            return try step()
        case .bodyStart(.chunked):
            chunkedDecoder = ChunkedBodyDecoder(limits: limits)
            state = .chunkedBody
            return try step()
        case .fixedBody(remaining: 0):
            return endMessage(trailers: [:])
        case .fixedBody(let remaining):
            let count = min(remaining, input.readableCount)
            guard count > 0 else { return nil }
            state = .fixedBody(remaining: remaining - count)
            return .body(input.read(count))
        case .chunkedBody:
            switch try chunkedDecoder.next(from: &input, bodyLimit: bodyLimit) {
            case nil:
                return nil
            case .data(let bytes):
                return .body(bytes)
            case .end(let trailers):
                return endMessage(trailers: trailers)
            }
        }
    }

    private mutating func endMessage(trailers: HTTPFields) -> Event {
        state = .head
        return .end(trailers: trailers)
    }
}
