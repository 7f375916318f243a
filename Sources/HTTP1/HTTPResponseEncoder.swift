public import HTTPTypes

/// Serializes responses for HTTP/1.1 (RFC 9112 §4). Fields are written exactly as given:
/// framing and connection fields are the caller's to add.
public enum HTTPResponseEncoder {
    /// Appends "HTTP/1.1 <code> <reason>" CRLF, each field as "Name: value" CRLF, then CRLF.
    /// swift-http-types has already stripped CR, LF and NUL from names and values, so nothing
    /// here can split the head.
    public static func writeHead(_ response: HTTPResponse, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "HTTP/1.1 ".utf8)
        let code = response.status.code
        buffer.append(UInt8(ascii: "0") + UInt8(code / 100))
        buffer.append(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.append(UInt8(ascii: "0") + UInt8(code % 10))
        buffer.append(HTTPSyntax.space)
        buffer.append(contentsOf: response.status.reasonPhrase.utf8)
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
        FieldSectionWriter.write(response.headerFields, into: &buffer)
    }

    /// Appends one chunk: hex size CRLF data CRLF. Empty input writes nothing, as a zero-size chunk
    /// would end the body.
    public static func writeChunk(_ bytes: some Collection<UInt8>, into buffer: inout [UInt8]) {
        ChunkedEncoding.writeChunk(bytes, into: &buffer)
    }

    /// Appends "0" CRLF CRLF: the last chunk and an empty trailer section.
    public static func writeLastChunk(into buffer: inout [UInt8]) {
        ChunkedEncoding.writeLastChunk(into: &buffer)
    }
}
