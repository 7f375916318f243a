import HTTP1
import HTTPTypes
import Testing

@Suite struct HTTPParseErrorTests {
    private static let statuses: [(HTTPParseError, Int)] = [
        (.requestLineTooLong, 414),
        (.headerSectionTooLarge, 431),
        (.tooManyHeaderFields, 431),
        (.invalidMethod, 400),
        (.invalidRequestTarget, 400),
        (.invalidVersion, 400),
        (.unsupportedVersion, 505),
        (.invalidLineEnding, 400),
        (.whitespaceBeforeColon, 400),
        (.obsoleteLineFolding, 400),
        (.invalidFieldName, 400),
        (.invalidFieldValue, 400),
        (.missingHost, 400),
        (.duplicateHost, 400),
        (.invalidHost, 400),
        (.contentLengthWithTransferEncoding, 400),
        (.invalidContentLength, 400),
        (.transferEncodingInHTTP10, 400),
        (.unsupportedTransferCoding, 501),
        (.invalidChunkSize, 400),
        (.invalidChunkExtension, 400),
        (.chunkExtensionTooLong, 400),
        (.invalidChunkFraming, 400),
        (.bodyTooLarge, 413),
    ]

    @Test(arguments: statuses)
    func status(error: HTTPParseError, code: Int) {
        #expect(error.status.code == code)
        #expect(!error.status.reasonPhrase.isEmpty)
    }

    @Test func reasonsAreDistinctSentences() {
        let reasons = Self.statuses.map(\.0.reason)
        #expect(Set(reasons).count == reasons.count)
        for reason in reasons {
            #expect(reason.first?.isUppercase == true)
            #expect(!reason.hasSuffix("."))
        }
        #expect(HTTPParseError.contentLengthWithTransferEncoding.reason == "Content-Length and Transfer-Encoding both present")
    }
}
