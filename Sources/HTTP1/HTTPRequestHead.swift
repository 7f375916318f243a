public import HTTPTypes

/// A parsed request head together with what HTTP/1.1 derives from it for the connection.
///
/// `request` follows the HTTP/2-style model of swift-http-types, as swift-nio-extras' HTTP/1
/// conversion does: `scheme` is nil for origin-form and "http"/"https" for absolute-form;
/// `authority` comes from Host (nil when Host is absent or empty) unless the target carries its
/// own (absolute-form, or authority-form with CONNECT), which wins (RFC 9112 §3.2.2); `path` is the
/// target with its query for origin-form, the path and query of an absolute-form target ("/" if
/// empty), "*" for asterisk-form, and nil for CONNECT. Host itself is not kept in `headerFields`;
/// every other field is, in order, with its value's surrounding whitespace trimmed.
public struct HTTPRequestHead: Sendable, Equatable {
    public var request: HTTPRequest
    public var version: HTTPVersion
    /// HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
    public var keepAlive: Bool
    public var framing: HTTPBodyFraming
    /// "Expect: 100-continue" on an HTTP/1.1 request; always false for HTTP/1.0, whose clients
    /// don't wait for an interim response (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    public init(
        request: HTTPRequest,
        version: HTTPVersion,
        keepAlive: Bool,
        framing: HTTPBodyFraming,
        expectsContinue: Bool
    ) {
        self.request = request
        self.version = version
        self.keepAlive = keepAlive
        self.framing = framing
        self.expectsContinue = expectsContinue
    }
}
