import Foundation
public import HTTPTypes

/// What a handler receives: the parsed head, the whole body (bounded by the route's limit),
/// the path parameters of the matched route and the request id.
public struct Request: Sendable {
    public var head: HTTPRequest
    public var body: [UInt8]
    public var parameters: [String: String]
    public let id: String
    public let remoteAddress: String
    /// What a middleware learned about this request, for the steps after it: an authentication or
    /// rate-limit step leaves the caller it identified, so the route does not look the caller up again.
    public var context = RequestContext()

    public init(
        head: HTTPRequest,
        body: [UInt8] = [],
        parameters: [String: String] = [:],
        id: String = "test",
        remoteAddress: String = "127.0.0.1"
    ) {
        self.head = head
        self.body = body
        self.parameters = parameters
        self.id = id
        self.remoteAddress = remoteAddress
    }

    public var method: HTTPRequest.Method { head.method }

    /// The request target's path, without the query.
    public var path: Substring { Self.path(of: head.path) }

    /// The raw query string, without the `?`.
    public var query: Substring? {
        guard let target = head.path, let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...]
    }

    /// Percent-decoded query parameters; the last value of a repeated name wins.
    public var queryParameters: [String: String] {
        query.map(FormURLEncoding.decode) ?? [:]
    }

    /// The fields of an `application/x-www-form-urlencoded` body, as an HTML form posts them.
    public var formParameters: [String: String] {
        FormURLEncoding.decode(Substring(decoding: body, as: UTF8.self))
    }

    static func path(of target: String?) -> Substring {
        let target = target ?? "/"
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }
}
