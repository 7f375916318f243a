import HTTP1
import HTTPTypes
import Testing

struct HTTPRequestEncoderTests {
    @Test func writesRequestLineHostThenFields() {
        var request = HTTPRequest(method: .post, scheme: "https", authority: "api.example.com:8443", path: "/v1/x?y=1")
        request.headerFields[.contentType] = "application/json"
        request.headerFields[.accept] = "*/*"
        var bytes: [UInt8] = []
        HTTPRequestEncoder.writeHead(request, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == """
            POST /v1/x?y=1 HTTP/1.1\r
            Host: api.example.com:8443\r
            Content-Type: application/json\r
            Accept: */*\r
            \r

            """)
    }

    @Test func roundTripsThroughTheRequestDecoder() throws {
        let request = HTTPRequest(method: .get, scheme: nil, authority: "example.com", path: "/a", headerFields: [.userAgent: "t"])
        var bytes: [UInt8] = []
        HTTPRequestEncoder.writeHead(request, into: &bytes)
        var decoder = HTTPRequestDecoder()
        decoder.append(bytes)
        guard case .head(let head)? = try decoder.next() else {
            Issue.record("no head")
            return
        }
        #expect(head.request == request)
    }
}
