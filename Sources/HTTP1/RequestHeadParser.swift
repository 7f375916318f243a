import HTTPTypes

/// Reads a request head line by line and interprets the fields that shape the connection:
/// Host, Content-Length, Transfer-Encoding, Connection and Expect.
struct RequestHeadParser {
    private let limits: HTTPLimits
    private var requestLine: RequestLine?
    private var emptyLineBytes = 0
    /// How much of the request line's method has been checked, so a line trickling in is scanned once;
    /// `methodComplete` once its SP has arrived.
    private var methodBytesChecked = 0
    private var methodComplete = false
    private var fieldSection: FieldSectionReader
    private var fields = HTTPFields()
    private var hostCount = 0
    private var host: String?
    private var framing = BodyFramingFields()
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false

    init(limits: HTTPLimits) {
        self.limits = limits
        self.fieldSection = FieldSectionReader(limits: limits)
        // Enough for a typical browser request, so appending fields doesn't reallocate.
        fields.reserveCapacity(16)
    }

    /// The complete head, or nil when more bytes are needed. Resets itself after a head so the
    /// next call starts on the following request.
    mutating func parse(_ input: inout InputBuffer) throws(HTTPParseError) -> HTTPRequestHead? {
        let requestLine: RequestLine
        if let parsed = self.requestLine {
            requestLine = parsed
        } else {
            guard let parsed = try readRequestLine(&input) else { return nil }
            self.requestLine = parsed
            requestLine = parsed
        }
        while let step = try fieldSection.next(from: &input) {
            switch step {
            case .field(let field):
                try absorb(field)
            case .end:
                let head = try makeHead(requestLine)
                self = RequestHeadParser(limits: limits)
                return head
            }
        }
        return nil
    }

    private mutating func readRequestLine(_ input: inout InputBuffer) throws(HTTPParseError) -> RequestLine? {
        while true {
            let lineFeed = input.firstLineFeed()
            let seen = input.lengthIgnoringTrailingCR(lineFeed ?? input.readableCount)
            // Only up to the length limit, so that which error a line gets doesn't depend on how it arrives.
            try checkMethod(in: input, upTo: min(seen, limits.maxRequestLineLength - emptyLineBytes))
            // Checked before the LF arrives so that a peer can't make us buffer without bound.
            guard emptyLineBytes + seen <= limits.maxRequestLineLength else { throw .requestLineTooLong }
            guard let lineFeed else { return nil }
            let length = try input.contentLength(ofLineEndingAt: lineFeed)
            guard length > 0 else {
                // RFC 9112 §2.2: empty lines before the request line are skipped, as clients
                // sometimes add a CRLF after a body. They count against the request line limit so
                // an endless stream of them still ends.
                input.consume(2)
                emptyLineBytes += 2
                methodBytesChecked = 0
                continue
            }
            let line = try input.withReadableBytes { (bytes) throws(HTTPParseError) in
                try RequestLine(parsing: bytes.extracting(..<length))
            }
            input.consume(length + 2)
            return line
        }
    }

    /// A method is a token (RFC 9110 §9.1), so the first byte before the first SP that can't be part of
    /// one settles it, without waiting for a line end that may never come: a TLS ClientHello sent to the
    /// plain port (0x16 ...), or any other protocol, is refused at once instead of holding the connection
    /// until the header timeout. A CR left out of `count` may yet be the line's end.
    private mutating func checkMethod(in input: InputBuffer, upTo count: Int) throws(HTTPParseError) {
        guard !methodComplete, methodBytesChecked < count else { return }
        let start = methodBytesChecked
        let (checked, complete) = try input.withReadableBytes { (bytes) throws(HTTPParseError) -> (Int, Bool) in
            var index = start
            while index < count {
                let byte = bytes[index]
                if byte == HTTPSyntax.space {
                    guard index > 0 else { throw .invalidMethod }
                    return (index, true)
                }
                guard HTTPSyntax.isTokenChar(byte) else { throw .invalidMethod }
                index += 1
            }
            return (index, false)
        }
        methodBytesChecked = checked
        methodComplete = complete
    }

    private mutating func absorb(_ field: HTTPField) throws(HTTPParseError) {
        // Most fields are none of these, and the length check rules that out without comparing
        // strings. Host is matched by name because swift-http-types makes `.host` unavailable.
        let name = field.name.canonicalName
        switch name.utf8.count {
        case 4 where name == "host":
            try absorb(host: field)
            return
        case 6 where name == "expect":
            if field.withUnsafeBytesOfValue({ HTTPSyntax.list($0, contains: "100-continue") }) {
                expectsContinue = true
            }
        case 10 where name == "connection":
            field.withUnsafeBytesOfValue { value in
                if HTTPSyntax.list(value, contains: "close") { connectionClose = true }
                if HTTPSyntax.list(value, contains: "keep-alive") { connectionKeepAlive = true }
            }
        case 14 where name == "content-length":
            try framing.add(contentLength: field)
        case 17 where name == "transfer-encoding":
            framing.add(transferEncoding: field)
        default:
            break
        }
        fields.append(field)
    }

    /// RFC 9112 §3.2: more than one Host, or an invalid one, must be answered with 400.
    private mutating func absorb(host field: HTTPField) throws(HTTPParseError) {
        hostCount += 1
        guard hostCount == 1 else { throw .duplicateHost }
        let isValid = field.withUnsafeBytesOfValue { value in
            value.isEmpty || Authority.isValid(value, requiresPort: false)
        }
        guard isValid else { throw .invalidHost }
        // An empty Host is what a client sends when the target URI has no authority.
        host = field.value.isEmpty ? nil : field.value
    }

    private func makeHead(_ requestLine: RequestLine) throws(HTTPParseError) -> HTTPRequestHead {
        let version = requestLine.version
        guard version == .http1_0 || hostCount > 0 else { throw .missingHost }
        let framing = try framing.requestFraming(version: version)
        let (scheme, authority, path) = requestLine.target.components(host: host)
        let request = HTTPRequest(
            method: requestLine.method, scheme: scheme, authority: authority, path: path, headerFields: fields
        )
        return HTTPRequestHead(
            request: request,
            version: version,
            keepAlive: !connectionClose && (version == .http1_1 || connectionKeepAlive),
            framing: framing,
            expectsContinue: version == .http1_1 && expectsContinue
        )
    }
}
