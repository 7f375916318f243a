import HTTP1
import HTTPTypes
import Testing

@Suite struct HTTPBodyFramingTests {
    @Test(arguments: ["5", "005", "5, 5", " 5 ,5"])
    func acceptedContentLength(value: String) {
        let decoded = decodeBothWays("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: \(value)\r\n\r\nhello")
        let head = makeHead(.post, fields: [.contentLength: value.trimmingWhitespace], framing: .contentLength(5))
        #expect(decoded == Decoded(events: [.head(head), .body("hello"), .end]))
    }

    @Test func repeatedIdenticalContentLengthFields() {
        let decoded = decodeBothWays(
            "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
        )
        let head = makeHead(.post, fields: [.contentLength: "3", .contentLength: "3"], framing: .contentLength(3))
        #expect(decoded == Decoded(events: [.head(head), .body("abc"), .end]))
    }

    @Test func maximumContentLengthParses() {
        let decoded = decodeBothWays(
            "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: \(Int.max)\r\n\r\n",
            bodyLimit: .max
        )
        #expect(decoded.events.first == .head(makeHead(.post, fields: [.contentLength: "\(Int.max)"], framing: .contentLength(.max))))
        #expect(decoded.error == nil)
    }

    @Test(arguments: [
        "abc", "-1", "+5", "5 5", "5.0", "0x5", "", "5,6", "5,", ",5", "99999999999999999999",
    ])
    func invalidContentLength(value: String) {
        let error = rejection("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: \(value)\r\n\r\nhello")
        #expect(error == .invalidContentLength)
        #expect(error?.status == .badRequest)
    }

    @Test func differingContentLengthFields() {
        let error = rejection("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")
        #expect(error == .invalidContentLength)
    }

    @Test(arguments: ["chunked", "Chunked", "CHUNKED", "chunked ,", ", chunked"])
    func chunkedTransferEncoding(value: String) {
        let decoded = decodeBothWays(
            "POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: \(value)\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        )
        let head = makeHead(.post, fields: [.transferEncoding: value.trimmingWhitespace], framing: .chunked)
        #expect(decoded == Decoded(events: [.head(head), .body("abc"), .end]))
    }

    @Test(arguments: [
        "gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "identity", "", "chunked;q=1", "x-chunked",
    ])
    func unsupportedTransferCoding(value: String) {
        let error = rejection("POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n")
        #expect(error == .unsupportedTransferCoding)
        #expect(error?.status == .notImplemented)
    }

    @Test func transferCodingsAcrossFieldLinesFormOneList() {
        let error = rejection(
            "POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        #expect(error == .unsupportedTransferCoding)
    }

    @Test(arguments: [
        "Content-Length: 3\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 3",
        "Transfer-Encoding: gzip\r\nContent-Length: 3",
    ])
    func contentLengthWithTransferEncoding(fields: String) {
        let error = rejection("POST / HTTP/1.1\r\nHost: example.com\r\n\(fields)\r\n\r\n0\r\n\r\n")
        #expect(error == .contentLengthWithTransferEncoding)
        #expect(error?.status == .badRequest)
    }

    @Test(arguments: ["chunked", "gzip"])
    func transferEncodingInHTTP10(value: String) {
        let error = rejection("POST / HTTP/1.0\r\nTransfer-Encoding: \(value)\r\nContent-Length: 3\r\n\r\nabc")
        #expect(error == .transferEncodingInHTTP10)
        #expect(error?.status == .badRequest)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
