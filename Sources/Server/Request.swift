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

/// Values keyed by their type, each type private to whoever stores it.
public struct RequestContext: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    public subscript<Value: Sendable>(_ type: Value.Type) -> Value? {
        get { values[ObjectIdentifier(type)] as? Value }
        set { values[ObjectIdentifier(type)] = newValue }
    }
}

/// `name=value&…` with percent escapes and `+` for space: query strings and form bodies alike.
public enum FormURLEncoding {
    /// Percent-encodes everything but RFC 3986's unreserved characters, so a value is safe in a
    /// query, a form body or a path segment.
    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Pairs with a malformed escape are dropped; the last value of a repeated name wins.
    public static func decode(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusAsSpace: true) else { continue }
            let value = parts.count > 1 ? PercentDecoding.decode(parts[1], plusAsSpace: true) : ""
            if let value { result[name] = value }
        }
        return result
    }
}

enum PercentDecoding {
    /// nil when the input has a malformed escape or decodes to invalid UTF-8 or NUL.
    static func decode(_ text: Substring, plusAsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
