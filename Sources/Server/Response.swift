import Glibc
public import HTTPTypes

/// What a handler returns. The server adds `Date`, `Content-Length` or chunked framing,
/// `Connection` and `X-Request-Id`; handlers set everything else.
public struct Response: Sendable {
    public var status: HTTPResponse.Status
    public var headerFields: HTTPFields
    public var body: ResponseBody

    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "text/html; charset=utf-8"], body: .bytes(Array(html.utf8)))
    }

    public static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "application/json"], body: .bytes(bytes))
    }

    /// A redirect that no cache or proxy may keep: each one is meant to be followed once.
    public static func redirect(to location: String, status: HTTPResponse.Status = .found) -> Response {
        Response(status: status, headerFields: [.location: location, .cacheControl: "no-store"])
    }
}

public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    /// Sent with sendfile(2): the bytes never pass through userspace.
    case file(OpenFile, length: Int)
    /// Sent chunked as the closure writes; the connection stays with it until it returns.
    case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
}

/// A file descriptor closed when the last reference goes, so a response dropped on any path
/// (HEAD, a client gone mid-send, shutdown) never leaks it.
public final class OpenFile: Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        _ = Glibc.close(descriptor)
    }
}
