import HTTPTypes

/// How the body of a message is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked

    /// At least one body byte may follow the head.
    public var carriesBody: Bool {
        switch self {
        case .none: false
        case .contentLength(let length): length > 0
        case .chunked: true
        }
    }
}

/// Content-Length and Transfer-Encoding gathered across all their field lines. The framing is
/// only decided once the section is complete, because it depends on both fields together.
struct BodyFramingFields {
    private var contentLength: Int?
    private var hasTransferEncoding = false
    private var codingCount = 0
    private var onlyChunked = true

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6). A list, or repeated fields, is accepted only
    /// when every value is the same, as §8.6 permits; anything else could frame the body two ways.
    mutating func add(contentLength field: HTTPField) throws(HTTPParseError) {
        contentLength = try field.withUnsafeBytesOfValue { (value) throws(HTTPParseError) in
            var length = contentLength
            try HTTPSyntax.forEachListElement(in: value) { (element) throws(HTTPParseError) in
                let parsed = try Self.parseDecimal(element)
                guard length == nil || length == parsed else { throw .invalidContentLength }
                length = parsed
            }
            return length
        }
    }

    private static func parseDecimal(_ digits: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        guard !digits.isEmpty else { throw .invalidContentLength }
        var value = 0
        for byte in digits {
            guard HTTPSyntax.isDigit(byte) else { throw .invalidContentLength }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { throw .invalidContentLength }
            value = sum
        }
        return value
    }

    /// Codings are only recorded here; whether they are acceptable depends on the version and on
    /// Content-Length, which may come in later field lines.
    mutating func add(transferEncoding field: HTTPField) {
        hasTransferEncoding = true
        field.withUnsafeBytesOfValue { value in
            HTTPSyntax.forEachListElement(in: value) { coding in
                // RFC 9110 §5.6.1: empty list elements don't count.
                guard !coding.isEmpty else { return }
                codingCount += 1
                if !HTTPSyntax.equalsIgnoringCase(coding, "chunked") { onlyChunked = false }
            }
        }
    }

    func requestFraming(version: HTTPVersion) throws(HTTPParseError) -> HTTPBodyFraming {
        guard hasTransferEncoding else { return contentLength.map(HTTPBodyFraming.contentLength) ?? .none }
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        guard version == .http1_1 else { throw .transferEncodingInHTTP10 }
        // RFC 9112 §6.1 lets a server reject this combination, the classic smuggling setup.
        guard contentLength == nil else { throw .contentLengthWithTransferEncoding }
        // No other coding is implemented, so chunked must be the one and only coding; for anything
        // else RFC 9112 §6.1 suggests 501.
        guard codingCount == 1, onlyChunked else { throw .unsupportedTransferCoding }
        return .chunked
    }
}
