import HTTP1
import HTTPTypes

/// The request being answered, as far as the answer's framing, log line and metrics need it.
struct Exchange: Sendable {
    let id: String
    let method: HTTPRequest.Method?
    let path: Substring
    /// The metrics label: the matched route's pattern.
    let route: String
    let version: HTTPVersion
    /// Whether the request asked to keep the connection open (before the server's own reasons to close).
    let keepAlive: Bool
    let startedAt: UInt64
}
