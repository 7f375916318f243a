import Foundation
import HTTPTypes

/// One call, before it is tied to a base URL. Every endpoint builds one of these so that URL
/// encoding, headers, logging and error mapping live in a single path.
struct APIRequest: Sendable {
    var method: HTTPRequest.Method
    /// Names the endpoint in metrics, where the path (which carries ids) would make a series per id.
    let endpoint: String
    /// Segments after the API base path; each is percent-encoded, so ids cannot add segments.
    var path: [String]
    var query: [(name: String, value: String)] = []
    var body: [UInt8]?
    /// Sent as `Authorization: Bearer`; `nil` for the OAuth endpoints, which authenticate in the body.
    var accessToken: String?
    /// Token endpoint answers carry tokens, so their bodies are never logged, not even at debug.
    var bodyIsSecret = false

    init(
        _ method: HTTPRequest.Method, _ path: String..., endpoint: String, query: [(name: String, value: String)] = [],
        accessToken: String?
    ) {
        self.method = method
        self.path = path
        self.endpoint = endpoint
        self.query = query
        self.accessToken = accessToken
    }

    /// Sets a JSON body. Bodies here are strings and dictionaries of strings, which always encode.
    mutating func setJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        body = (try? encoder.encode(value)).map(Array.init)
    }

    /// The path as logged: ids are fine, query values (patient searches) and tokens are not.
    func encodedPath(under base: BaseURL) -> String {
        base.pathPrefix + path.map { "/" + PercentEncoding.encode($0) }.joined()
    }

    /// `encodedPath` is this request's `encodedPath(under: base)`, which the caller has already built to log it.
    func httpRequest(encodedPath: String, under base: BaseURL) -> HTTPRequest {
        var fullPath = encodedPath
        if !query.isEmpty { fullPath += "?" + PercentEncoding.query(query) }
        var fields = HTTPFields()
        fields[.accept] = "application/json"
        if body != nil { fields[.contentType] = "application/json" }
        if let accessToken { fields[.authorization] = "Bearer " + accessToken }
        return HTTPRequest(method: method, scheme: base.scheme, authority: base.authority, path: fullPath, headerFields: fields)
    }
}
