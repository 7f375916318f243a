public import HTTPTypes

/// Thrown by a handler to answer with a status and a message the client may see.
/// Any other error becomes a 500 whose details stay in the log.
public struct HTTPError: Error, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String? = nil) {
        self.status = status
        self.message = message ?? status.reasonPhrase
    }
}
