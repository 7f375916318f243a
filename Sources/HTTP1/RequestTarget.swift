import HTTPTypes

/// The four forms of request-target (RFC 9112 §3.2), each allowed only with the methods the RFC
/// pairs it with.
enum RequestTarget {
    /// "/path?query", kept verbatim.
    case origin(String)
    /// "http://authority/path?query", split so the authority can override Host (RFC 9112 §3.2.2).
    case absolute(scheme: String, authority: String, path: String)
    /// "host:port", for CONNECT only.
    case authority(String)
    /// "*", for OPTIONS only.
    case asterisk

    /// Visible ASCII only: no whitespace, controls or raw non-ASCII, which must be percent-encoded.
    /// "#" is refused as well since a fragment is never part of a request target.
    static func isValidSyntax(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Branch-free so that it vectorizes, as for field values.
        var invalid: UInt8 = 0
        for byte in bytes {
            let outside: UInt8 = byte &- 0x21 > 0x7E - 0x21 ? 1 : 0
            let hash: UInt8 = byte == UInt8(ascii: "#") ? 1 : 0
            invalid |= outside | hash
        }
        return !bytes.isEmpty && invalid == 0
    }

    /// Classifies a target already checked by `isValidSyntax`.
    init(parsing bytes: UnsafeBufferPointer<UInt8>, method: HTTPRequest.Method) throws(HTTPParseError) {
        if method == .connect {
            guard Authority.isValid(bytes, requiresPort: true) else { throw .invalidRequestTarget }
            self = .authority(String(decoding: bytes, as: UTF8.self))
        } else if bytes[0] == HTTPSyntax.slash {
            self = .origin(String(decoding: bytes, as: UTF8.self))
        } else if bytes.count == 1, bytes[0] == UInt8(ascii: "*") {
            guard method == .options else { throw .invalidRequestTarget }
            self = .asterisk
        } else {
            self = try Self.parseAbsoluteForm(bytes)
        }
    }

    /// The pseudo-header values of swift-http-types for this target; the target's own authority
    /// wins over Host (RFC 9112 §3.2.2).
    func components(host: String?) -> (scheme: String?, authority: String?, path: String?) {
        switch self {
        case .origin(let path): (nil, host, path)
        case .absolute(let scheme, let authority, let path): (scheme, authority, path)
        case .authority(let authority): (nil, authority, nil)
        case .asterisk: (nil, host, "*")
        }
    }

    /// absolute-form = absolute-URI (RFC 9112 §3.2.2), limited to the http and https schemes an
    /// origin server can be addressed by.
    private static func parseAbsoluteForm(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Self {
        guard let colon = bytes.firstIndex(of: HTTPSyntax.colon) else { throw .invalidRequestTarget }
        let schemeName = bytes.extracting(..<colon)
        let scheme: String
        if HTTPSyntax.equalsIgnoringCase(schemeName, "http") {
            scheme = "http"
        } else if HTTPSyntax.equalsIgnoringCase(schemeName, "https") {
            scheme = "https"
        } else {
            throw .invalidRequestTarget
        }
        let rest = bytes.extracting((colon + 1)...)
        guard rest.starts(with: "//".utf8) else { throw .invalidRequestTarget }
        let authorityStart = 2
        var authorityEnd = authorityStart
        while authorityEnd < rest.count, rest[authorityEnd] != HTTPSyntax.slash,
            rest[authorityEnd] != UInt8(ascii: "?")
        {
            authorityEnd += 1
        }
        let authority = rest.extracting(authorityStart..<authorityEnd)
        guard Authority.isValid(authority, requiresPort: false) else { throw .invalidRequestTarget }
        let pathAndQuery = String(decoding: rest.extracting(authorityEnd...), as: UTF8.self)
        // An empty path is equivalent to "/" (RFC 9110 §4.2.3), also when only a query follows.
        let path = pathAndQuery.utf8.first == HTTPSyntax.slash ? pathAndQuery : "/" + pathAndQuery
        return .absolute(scheme: scheme, authority: String(decoding: authority, as: UTF8.self), path: path)
    }
}
