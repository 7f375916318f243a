/// Why a response could not be read. Violations a response shares with requests (fields,
/// Content-Length, chunking, body size) keep their `HTTPParseError` case inside `.message`, so
/// both directions name them alike.
public enum HTTPResponseParseError: Error, Sendable, Equatable {
    case statusLineTooLong
    case invalidStatusLine
    case unsupportedVersion
    /// 101 Switching Protocols, although the client never asked to upgrade.
    case unexpectedUpgrade
    /// The connection ended before the framing said the response was complete.
    case truncated
    case message(HTTPParseError)

    public var reason: String {
        switch self {
        case .statusLineTooLong: "Status line is longer than the limit"
        case .invalidStatusLine: "Status line is malformed"
        case .unsupportedVersion: "HTTP version is neither 1.0 nor 1.1"
        case .unexpectedUpgrade: "Server switched protocols without being asked to"
        case .truncated: "Connection closed before the response was complete"
        case .message(let error): error.reason
        }
    }
}
