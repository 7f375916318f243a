public import HTTPTypes

/// A complete response: the head and the whole body, read to its end.
public struct HTTPClientResponse: Sendable {
    public var head: HTTPResponse
    public var body: [UInt8]

    public init(head: HTTPResponse, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}
