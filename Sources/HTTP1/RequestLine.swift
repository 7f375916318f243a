import HTTPTypes

/// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
struct RequestLine {
    var method: HTTPRequest.Method
    var target: RequestTarget
    var version: HTTPVersion

    init(parsing line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        let firstSpace = line.firstIndex(of: HTTPSyntax.space)
        let methodName = line.extracting(..<(firstSpace ?? line.count))
        guard let method = HTTPRequest.Method(String(decoding: methodName, as: UTF8.self)) else {
            throw .invalidMethod
        }
        guard let firstSpace, let lastSpace = line.lastIndex(of: HTTPSyntax.space) else {
            throw .invalidRequestTarget
        }
        let targetStart = firstSpace + 1
        guard lastSpace > firstSpace else {
            // "GET /path" is an HTTP/0.9 request: well-formed, just in a version we don't speak. HTTP/0.9 only
            // had paths, so anything else after the method ("GET HTTP/1.1") is a line missing its target: a 505
            // would tell the client to change versions when the fault is the missing target.
            let target = line.extracting(targetStart...)
            guard RequestTarget.isValidSyntax(target), target[0] == HTTPSyntax.slash else {
                throw .invalidRequestTarget
            }
            throw .unsupportedVersion
        }
        // Splitting at the last space makes any extra space inside land in the target, where it is
        // reported as the malformed target it most likely is; a trailing space spoils the version.
        self.version = try Self.parseVersion(line.extracting((lastSpace + 1)...))
        let target = line.extracting(targetStart..<lastSpace)
        guard RequestTarget.isValidSyntax(target) else { throw .invalidRequestTarget }
        self.target = try RequestTarget(parsing: target, method: method)
        self.method = method
    }

    /// HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3). Well-formed versions other than
    /// 1.0 and 1.1 get 505 instead of 400 so the client learns to fall back.
    private static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        guard bytes.count == 8, bytes.starts(with: "HTTP/".utf8), HTTPSyntax.isDigit(bytes[5]),
            bytes[6] == UInt8(ascii: "."), HTTPSyntax.isDigit(bytes[7])
        else { throw .invalidVersion }
        switch (bytes[5], bytes[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .unsupportedVersion
        }
    }
}
