/// Writers for the chunked transfer coding (RFC 9112 §7.1). Kept apart from the response encoder
/// so that a request encoder can frame bodies the same way.
enum ChunkedEncoding {
    private static let hexDigits: StaticString = "0123456789abcdef"

    /// chunk-size CRLF chunk-data CRLF. Nothing for empty input, since a zero size would end the body.
    static func writeChunk(_ bytes: some Collection<UInt8>, into buffer: inout [UInt8]) {
        let count = bytes.count
        guard count > 0 else { return }
        var shift = (Int.bitWidth - count.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            buffer.append(hexDigits.utf8Start[(count >> shift) & 0xF])
            shift -= 4
        }
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
        buffer.append(contentsOf: bytes)
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
    }

    /// last-chunk with no extensions, followed by an empty trailer section.
    static func writeLastChunk(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "0\r\n\r\n".utf8)
    }
}
