import HTTP1
import HTTPTypes

/// How one answer goes on the wire, decided from the response and the exchange it answers: the fields the
/// server owns (`Date`, `X-Request-Id`, `Content-Length` or chunked, `Connection`), what follows the head, and
/// whether the connection stays open after it. It touches no socket and no connection state, so these rules
/// read in one place; `Connection` writes what it decides.
struct ResponseFraming {
    enum Body {
        /// Nothing follows the head: an empty body, an answer to HEAD, or a status that has no body.
        case none
        case bytes([UInt8])
        /// Sent with sendfile(2), `length` bytes from the start.
        case file(OpenFile, length: Int)
        /// Written by the handler's closure as it goes: chunked in HTTP/1.1, ended by closing in HTTP/1.0.
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void, chunked: Bool)
    }

    let head: HTTPResponse
    let body: Body
    /// Whether the connection takes another request after this answer.
    let keepAlive: Bool

    /// `mayKeepAlive` is false when the connection must close whatever the request asked: the client shut its
    /// side, the server is shutting down.
    init(_ response: Response, answering exchange: Exchange, mayKeepAlive: Bool, date: String) {
        var keepAlive = exchange.keepAlive && mayKeepAlive
        var fields = response.headerFields
        fields[.date] = date
        fields[.xRequestID] = exchange.id
        let status = response.status.code
        // RFC 9110 §6.4.1: 1xx, 204 and 304 have no content, and say nothing of a length.
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        switch response.body {
        case .stream:
            // HTTP/1.0 has no chunked coding: a stream's end is the connection's end.
            if exchange.version == .http1_0 { keepAlive = false }
            if bodyAllowed && exchange.version == .http1_1 { fields[.transferEncoding] = "chunked" }
        case .empty:
            if bodyAllowed { fields[.contentLength] = "0" }
        case .bytes(let bytes):
            if bodyAllowed { fields[.contentLength] = String(bytes.count) }
        case .file(_, let length):
            if bodyAllowed { fields[.contentLength] = String(length) }
        }
        if !keepAlive {
            fields[.connection] = "close"
        } else if exchange.version == .http1_0 {
            // An HTTP/1.0 client closes unless told otherwise.
            fields[.connection] = "keep-alive"
        }
        head = HTTPResponse(status: response.status, headerFields: fields)
        self.keepAlive = keepAlive
        // HEAD is answered with the head GET would have, and no body (RFC 9110 §9.3.2).
        guard exchange.method != .head && bodyAllowed else {
            body = .none
            return
        }
        switch response.body {
        case .empty: body = .none
        case .bytes(let bytes): body = .bytes(bytes)
        case .file(let file, let length): body = .file(file, length: length)
        case .stream(let write): body = .stream(write, chunked: exchange.version == .http1_1)
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}
