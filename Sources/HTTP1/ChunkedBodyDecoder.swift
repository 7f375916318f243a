import HTTPTypes

/// Decodes a chunked body (RFC 9112 §7.1) incrementally, handing out chunk data as it arrives
/// and finishing with the trailer section. Independent of requests, so a response decoder can
/// use it as is.
struct ChunkedBodyDecoder {
    enum Event {
        case data([UInt8])
        case end(trailers: HTTPFields)
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    /// Longest chunk size line, extensions included. Extensions carry nothing we use, so this only
    /// has to be generous enough for real clients while keeping the line from buffering unbounded.
    private static let maxSizeLineLength = 4096
    /// 16 hex digits fill 64 bits; more can only be padding meant to confuse other parsers.
    private static let maxSizeDigits = 16

    private var state = State.size
    private var decodedSize = 0
    private var trailerSection: FieldSectionReader
    private var trailers = HTTPFields()

    init(limits: HTTPLimits) {
        self.trailerSection = FieldSectionReader(limits: limits)
    }

    /// The next piece of the body, or nil when more bytes are needed. `bodyLimit` is read afresh
    /// at every chunk so that the caller may change it while the body streams.
    mutating func next(from input: inout InputBuffer, bodyLimit: Int) throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .size:
                guard let size = try Self.readSizeLine(&input) else { return nil }
                guard size > 0 else {
                    state = .trailers
                    continue
                }
                // Rejected when announced rather than after buffering data we would discard.
                guard size <= bodyLimit - decodedSize else { throw .bodyTooLarge }
                decodedSize += size
                state = .data(remaining: size)
            case .data(let remaining):
                let count = min(remaining, input.readableCount)
                guard count > 0 else { return nil }
                state = count == remaining ? .dataEnd : .data(remaining: remaining - count)
                return .data(input.read(count))
            case .dataEnd:
                guard input.readableCount > 0 else { return nil }
                guard input.byte(at: 0) == HTTPSyntax.cr else { throw .invalidChunkFraming }
                guard input.readableCount > 1 else { return nil }
                guard input.byte(at: 1) == HTTPSyntax.lf else { throw .invalidChunkFraming }
                input.consume(2)
                state = .size
            case .trailers:
                guard let step = try trailerSection.next(from: &input) else { return nil }
                switch step {
                case .field(let field):
                    trailers.append(field)
                case .end:
                    return .end(trailers: trailers)
                }
            }
        }
    }

    /// chunk-size [ chunk-ext ] CRLF, returning the size.
    private static func readSizeLine(_ input: inout InputBuffer) throws(HTTPParseError) -> Int? {
        let lineFeed = input.firstLineFeed()
        guard input.lengthIgnoringTrailingCR(lineFeed ?? input.readableCount) <= Self.maxSizeLineLength else {
            throw .chunkExtensionTooLong
        }
        guard let lineFeed else { return nil }
        let length = try input.contentLength(ofLineEndingAt: lineFeed)
        let size = try input.withReadableBytes { (bytes) throws(HTTPParseError) in
            try Self.parseSizeLine(bytes.extracting(..<length))
        }
        input.consume(length + 2)
        return size
    }

    private static func parseSizeLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        var index = 0
        var size = 0
        while index < line.count, let digit = HTTPSyntax.hexValue(line[index]) {
            guard index < maxSizeDigits, size <= Int.max >> 4 else { throw .invalidChunkSize }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw .invalidChunkSize }
        if index < line.count {
            let next = line[index]
            guard next == HTTPSyntax.semicolon || HTTPSyntax.isWhitespace(next) else { throw .invalidChunkSize }
            try validateExtensions(line.extracting(index...))
        }
        return size
    }

    /// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1).
    /// Extensions are ignored, but checked strictly: lenient skipping here is how chunked
    /// smuggling variants hide a second body.
    private static func validateExtensions(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        var index = 0
        func skipWhitespace(from start: Int) -> Int {
            var index = start
            while index < bytes.count, HTTPSyntax.isWhitespace(bytes[index]) { index += 1 }
            return index
        }
        func skipToken(from start: Int) throws(HTTPParseError) -> Int {
            var index = start
            while index < bytes.count, HTTPSyntax.isTokenChar(bytes[index]) { index += 1 }
            guard index > start else { throw .invalidChunkExtension }
            return index
        }
        while index < bytes.count {
            index = skipWhitespace(from: index)
            guard index < bytes.count, bytes[index] == HTTPSyntax.semicolon else { throw .invalidChunkExtension }
            index = try skipToken(from: skipWhitespace(from: index + 1))
            let equals = skipWhitespace(from: index)
            guard equals < bytes.count, bytes[equals] == HTTPSyntax.equals else { continue }
            let value = skipWhitespace(from: equals + 1)
            if value < bytes.count, bytes[value] == HTTPSyntax.quote {
                index = try skipQuotedString(bytes, from: value)
            } else {
                index = try skipToken(from: value)
            }
        }
    }

    /// quoted-string (RFC 9110 §5.6.4) starting at the opening quote; returns the index after the
    /// closing quote.
    private static func skipQuotedString(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int
    ) throws(HTTPParseError) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case HTTPSyntax.quote:
                return index + 1
            case HTTPSyntax.backslash:
                guard index + 1 < bytes.count, HTTPSyntax.isFieldValueByte(bytes[index + 1]) else {
                    throw .invalidChunkExtension
                }
                index += 2
            case let byte where HTTPSyntax.isFieldValueByte(byte):
                index += 1
            default:
                throw .invalidChunkExtension
            }
        }
        throw .invalidChunkExtension
    }
}
