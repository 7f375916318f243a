/// Why a request got no response. The strings say what went wrong with the connection, never
/// what was sent: they end up in logs.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// http:// to anything but loopback, or to loopback without `allowPlainHTTPToLoopback`.
    case insecureURL(String)
    case connectFailed(String)
    /// Includes OpenSSL's verification reason, e.g. "certificate has expired", "hostname mismatch".
    case tlsFailed(String)
    /// The server went quiet for longer than `readTimeout`.
    case timedOut
    /// The request's own deadline passed, retries included.
    case deadlineExceeded
    case connectionClosed
    case responseTooLarge
    case malformedResponse(String)
    case shutdown

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid URL: \(reason)"
        case .insecureURL(let url): "refusing plain HTTP to \(url)"
        case .connectFailed(let reason): "connect failed: \(reason)"
        case .tlsFailed(let reason): "TLS failed: \(reason)"
        case .timedOut: "timed out waiting for the server"
        case .deadlineExceeded: "deadline exceeded"
        case .connectionClosed: "connection closed before the response was complete"
        case .responseTooLarge: "response body larger than the limit"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .shutdown: "client is shut down"
        }
    }
}
