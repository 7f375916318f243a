import Foundation

/// `application/x-www-form-urlencoded`, for the HTML forms, form-encoded token requests and the
/// query strings the sandbox appends to redirect URIs.
enum FormEncoding {
    static func decode(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? unescape(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// Appends to a URI that may already carry a query, as a registered redirect_uri may.
    static func append(_ fields: [(String, String)], to uri: String) -> String {
        uri + (uri.contains("?") ? "&" : "?") + encode(fields)
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
