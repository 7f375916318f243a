import HTTP1
import HTTPTypes

/// Head and body in one buffer, so that a small request leaves in a single send.
enum RequestSerializer {
    static let userAgent = "fullscript-redirect"

    /// Framing is ours to decide: any Content-Length or Transfer-Encoding the caller set is
    /// replaced by the length of `body`, which is always sent whole.
    static func serialize(_ request: HTTPRequest, body: [UInt8]?) -> [UInt8] {
        var head = request
        head.headerFields[.transferEncoding] = nil
        head.headerFields[.contentLength] = nil
        if let body {
            head.headerFields[.contentLength] = String(body.count)
        } else if request.method == .post || request.method == .put || request.method == .patch {
            // RFC 9110 §8.6: a request whose method expects content says when there is none.
            head.headerFields[.contentLength] = "0"
        }
        if head.headerFields[.userAgent] == nil {
            head.headerFields[.userAgent] = userAgent
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512 + (body?.count ?? 0))
        HTTPRequestEncoder.writeHead(head, into: &bytes)
        if let body { bytes.append(contentsOf: body) }
        return bytes
    }
}
