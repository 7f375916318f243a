public import HTTPTypes

/// Serializes request heads for HTTP/1.1 (RFC 9112 §3). As with responses, framing and
/// connection fields are the caller's to add.
public enum HTTPRequestEncoder {
    /// Appends "METHOD target HTTP/1.1" CRLF, "Host: authority" CRLF when there is an authority,
    /// each field as "Name: value" CRLF, then CRLF. A request without a path asks for "/".
    public static func writeHead(_ request: HTTPRequest, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: request.method.rawValue.utf8)
        buffer.append(HTTPSyntax.space)
        buffer.append(contentsOf: (request.path ?? "/").utf8)
        buffer.append(contentsOf: " HTTP/1.1\r\n".utf8)
        // Host goes first, as RFC 9110 §7.2 asks of user agents.
        if let authority = request.authority {
            FieldSectionWriter.writeLine(name: "Host", into: &buffer) { $0.append(contentsOf: authority.utf8) }
        }
        FieldSectionWriter.write(request.headerFields, into: &buffer)
    }
}
