public import HTTPTypes

/// Why a request was rejected. Each case is one distinct violation so that logs say exactly
/// what the peer did wrong; `status` is what the server answers before closing the connection.
public enum HTTPParseError: Error, Sendable, Equatable {
    case requestLineTooLong
    case headerSectionTooLarge
    case tooManyHeaderFields
    case invalidMethod
    case invalidRequestTarget
    case invalidVersion
    case unsupportedVersion
    case invalidLineEnding
    case whitespaceBeforeColon
    case obsoleteLineFolding
    case invalidFieldName
    case invalidFieldValue
    case missingHost
    case duplicateHost
    case invalidHost
    case contentLengthWithTransferEncoding
    case invalidContentLength
    case transferEncodingInHTTP10
    case unsupportedTransferCoding
    case invalidChunkSize
    case invalidChunkExtension
    case chunkExtensionTooLong
    case invalidChunkFraming
    case bodyTooLarge

    public var status: HTTPResponse.Status {
        switch self {
        case .requestLineTooLong:
            .uriTooLong
        case .headerSectionTooLarge, .tooManyHeaderFields:
            .requestHeaderFieldsTooLarge
        case .unsupportedVersion:
            .httpVersionNotSupported
        case .unsupportedTransferCoding:
            .notImplemented
        case .bodyTooLarge:
            .contentTooLarge
        case .invalidMethod, .invalidRequestTarget, .invalidVersion, .invalidLineEnding,
            .whitespaceBeforeColon, .obsoleteLineFolding, .invalidFieldName, .invalidFieldValue,
            .missingHost, .duplicateHost, .invalidHost, .contentLengthWithTransferEncoding,
            .invalidContentLength, .transferEncodingInHTTP10, .invalidChunkSize,
            .invalidChunkExtension, .chunkExtensionTooLong, .invalidChunkFraming:
            .badRequest
        }
    }

    public var reason: String {
        switch self {
        case .requestLineTooLong:
            "Request line is longer than the limit"
        case .headerSectionTooLarge:
            "Header or trailer section is larger than the limit"
        case .tooManyHeaderFields:
            "Header or trailer section has more fields than the limit"
        case .invalidMethod:
            "Method is not a token"
        case .invalidRequestTarget:
            "Request target is malformed or not allowed with this method"
        case .invalidVersion:
            "HTTP version is malformed"
        case .unsupportedVersion:
            "HTTP version is neither 1.0 nor 1.1"
        case .invalidLineEnding:
            "Line ends with a bare LF instead of CRLF"
        case .whitespaceBeforeColon:
            "Whitespace between a field name and its colon"
        case .obsoleteLineFolding:
            "Field line starts with whitespace (obsolete line folding)"
        case .invalidFieldName:
            "Field line has no colon or its name is not a token"
        case .invalidFieldValue:
            "Field value contains a control character"
        case .missingHost:
            "HTTP/1.1 request has no Host field"
        case .duplicateHost:
            "Request has more than one Host field"
        case .invalidHost:
            "Host is not a valid host with optional port"
        case .contentLengthWithTransferEncoding:
            "Content-Length and Transfer-Encoding both present"
        case .invalidContentLength:
            "Content-Length is not a decimal number or its values differ"
        case .transferEncodingInHTTP10:
            "Transfer-Encoding in an HTTP/1.0 request"
        case .unsupportedTransferCoding:
            "Transfer-Encoding is not exactly chunked"
        case .invalidChunkSize:
            "Chunk size is not a hexadecimal number of at most 16 digits"
        case .invalidChunkExtension:
            "Chunk extension is malformed"
        case .chunkExtensionTooLong:
            "Chunk size line with its extensions is longer than the limit"
        case .invalidChunkFraming:
            "Chunk data is not followed by CRLF"
        case .bodyTooLarge:
            "Body is larger than the limit for this request"
        }
    }
}
