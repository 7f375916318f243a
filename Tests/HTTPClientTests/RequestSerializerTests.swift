@testable import HTTPClient
import HTTPTypes
import Testing

struct RequestSerializerTests {
    private func text(_ request: HTTPRequest, body: [UInt8]? = nil) -> String {
        String(decoding: RequestSerializer.serialize(request, body: body), as: UTF8.self)
    }

    @Test func writesHeadAndBodyInOneBuffer() {
        var request = HTTPRequest(method: .post, scheme: "https", authority: "api.example.com", path: "/patients")
        request.headerFields[.contentType] = "application/json"
        #expect(text(request, body: Array("{}".utf8)) == """
            POST /patients HTTP/1.1\r
            Host: api.example.com\r
            Content-Type: application/json\r
            Content-Length: 2\r
            User-Agent: fullscript-redirect\r
            \r
            {}
            """)
    }

    @Test func ownsTheFraming() {
        var request = HTTPRequest(method: .put, scheme: "https", authority: "a", path: "/")
        request.headerFields[.contentLength] = "999"
        request.headerFields[.transferEncoding] = "chunked"
        let head = text(request)
        #expect(head.contains("Content-Length: 0\r\n"))
        #expect(!head.contains("999"))
        #expect(!head.contains("chunked"))
        #expect(!text(HTTPRequest(method: .get, scheme: "https", authority: "a", path: "/")).contains("Content-Length"))
    }
}
