import Glibc
import HTTPTypes

/// Scheme, host and port: what a pooled connection can be reused for (RFC 6454).
struct Origin: Hashable, Sendable, CustomStringConvertible {
    let isSecure: Bool
    /// Lowercased, without the brackets of an IPv6 literal.
    let host: String
    let port: Int

    /// Takes the origin from the request's pseudo-header fields and refuses what the client must
    /// not send: no userinfo, and plain HTTP only to loopback when allowed.
    init(of request: HTTPRequest, allowPlainHTTPToLoopback: Bool) throws(HTTPClientError) {
        guard let scheme = request.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw .invalidURL("scheme must be https or http")
        }
        guard let authority = request.authority, !authority.isEmpty else { throw .invalidURL("no authority") }
        guard !authority.contains("@") else { throw .invalidURL("userinfo is not allowed") }
        let path = request.path ?? "/"
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw .invalidURL("path must start with / and hold visible ASCII only")
        }
        let (host, portText) = try Self.split(authority)
        let defaultPort = scheme == "https" ? 443 : 80
        guard let port = portText.map({ Int($0) }) ?? defaultPort, (1...65535).contains(port) else {
            throw .invalidURL("invalid port in \(authority)")
        }
        isSecure = scheme == "https"
        self.host = host.lowercased()
        self.port = port
        if !isSecure, !(allowPlainHTTPToLoopback && Self.isLoopbackName(self.host)) {
            throw .insecureURL("http://\(authority)")
        }
    }

    private static func split(_ authority: String) throws(HTTPClientError) -> (host: String, port: Substring?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unclosed IPv6 literal") }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw .invalidURL("junk after IPv6 literal") }
            return (host, rest.isEmpty ? nil : rest.dropFirst())
        }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts[0].isEmpty, !parts[0].contains(where: { $0 == "/" || $0 == " " }) else {
            throw .invalidURL("invalid host in \(authority)")
        }
        return (String(parts[0]), parts.count > 1 ? parts[1] : nil)
    }

    /// An IPv4 or IPv6 literal, for which there is no SNI and the certificate must name the address.
    var isIPAddress: Bool { IPAddress.family(of: host) != nil }

    private static func isLoopbackName(_ host: String) -> Bool {
        host == "localhost" || IPAddress.isLoopback(host)
    }

    var description: String { "\(isSecure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

enum IPAddress {
    static func family(of text: String) -> Int32? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return AF_INET }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return AF_INET6 }
        return nil
    }

    /// 127.0.0.0/8 or ::1.
    static func isLoopback(_ text: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { $0.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) }
    }
}
