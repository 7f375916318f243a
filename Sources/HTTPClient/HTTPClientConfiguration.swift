/// Limits and policies of one `HTTPClient`, fixed when it is created.
public struct HTTPClientConfiguration: Sendable {
    public var connectTimeout: Duration = .seconds(5)
    /// Longest wait for the next byte of a response, or for the server to take more of the request.
    public var readTimeout: Duration = .seconds(15)
    public var maxResponseBodySize: Int = 8 << 20
    /// Beyond this many connections to one origin, requests wait for a free one (in a bounded
    /// queue) or fail when their deadline passes.
    public var maxConnectionsPerOrigin: Int = 8
    public var idleConnectionTimeout: Duration = .seconds(60)
    /// Extra PEM trust anchors on top of the system store.
    public var caFile: String? = nil
    /// Allows http:// to 127.0.0.0/8, ::1 and "localhost" only, and only when true: OAuth tokens
    /// must never cross a network in the clear.
    public var allowPlainHTTPToLoopback: Bool = false
    public var retry: RetryPolicy = RetryPolicy()

    public init() {}
}
