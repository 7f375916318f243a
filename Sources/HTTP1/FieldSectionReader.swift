import HTTPTypes

/// Reads a field section (RFC 9112 §5) one line at a time, enforcing the size and count limits
/// as bytes arrive. Request headers and chunked trailers share it; a response decoder can too.
struct FieldSectionReader {
    enum Step {
        case field(HTTPField)
        /// The empty line that ends the section has been consumed.
        case end
    }

    private let maxSize: Int
    private let maxCount: Int
    private var size = 0
    private var count = 0

    init(limits: HTTPLimits) {
        self.maxSize = limits.maxHeaderSectionSize
        self.maxCount = limits.maxHeaderFieldCount
    }

    /// The next field or the end of the section, or nil when the line is still incomplete.
    mutating func next(from input: inout InputBuffer) throws(HTTPParseError) -> Step? {
        let lineFeed = input.firstLineFeed()
        guard size + (lineFeed.map { $0 + 1 } ?? input.readableCount) <= maxSize else {
            throw .headerSectionTooLarge
        }
        guard let lineFeed else { return nil }
        let length = try input.contentLength(ofLineEndingAt: lineFeed)
        size += lineFeed + 1
        guard length > 0 else {
            input.consume(2)
            return .end
        }
        count += 1
        guard count <= maxCount else { throw .tooManyHeaderFields }
        let field = try input.withReadableBytes { (bytes) throws(HTTPParseError) in
            try Self.parseFieldLine(bytes.extracting(..<length))
        }
        input.consume(length + 2)
        return .field(field)
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5).
    private static func parseFieldLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPField {
        // RFC 9112 §5.2 lets a server reject obs-fold outright, and whitespace before the first
        // field line (§2.2) would otherwise be read as a continuation by some intermediaries.
        guard !HTTPSyntax.isWhitespace(line[0]) else { throw .obsoleteLineFolding }
        var colon = 0
        while colon < line.count, HTTPSyntax.isTokenChar(line[colon]) { colon += 1 }
        guard colon > 0, colon < line.count, line[colon] == HTTPSyntax.colon else {
            // RFC 9112 §5.1 requires rejecting "Name : value" outright rather than guessing,
            // since proxies disagree on whether the name includes the whitespace.
            var next = colon
            while next < line.count, HTTPSyntax.isWhitespace(line[next]) { next += 1 }
            if next > colon, next < line.count, line[next] == HTTPSyntax.colon { throw .whitespaceBeforeColon }
            throw .invalidFieldName
        }
        let rawValue = line.extracting((colon + 1)...)
        // Branch-free so that it vectorizes: values are most of a head's bytes.
        var allBits: UInt8 = 0
        var invalid: UInt8 = 0
        for byte in rawValue {
            allBits |= byte
            invalid |= HTTPSyntax.fieldValueViolation(byte)
        }
        guard invalid == 0 else { throw .invalidFieldValue }
        let nameBytes = line.extracting(..<colon)
        let name = CommonFieldNames.lookup(nameBytes) ?? HTTPField.Name(String(decoding: nameBytes, as: UTF8.self))
        guard let name else { throw .invalidFieldName }
        let value = HTTPSyntax.trimmingWhitespace(rawValue)
        // An ASCII value decodes to the same String losslessly, and that path is several times
        // faster than swift-http-types' generic one for bytes, which obs-text still needs.
        guard allBits < 0x80 else { return HTTPField(name: name, value: value) }
        return HTTPField(name: name, value: String(decoding: value, as: UTF8.self))
    }
}
