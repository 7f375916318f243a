import HTTP1
import HTTPTypes
import Testing

@Suite struct HTTPResponseEncoderTests {
    private func head(_ response: HTTPResponse) -> String {
        var buffer: [UInt8] = []
        HTTPResponseEncoder.writeHead(response, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func statusLineAndFieldsVerbatim() {
        let response = HTTPResponse(
            status: .ok,
            headerFields: [.contentType: "text/plain; charset=utf-8", .contentLength: "5", fieldName("x-Custom"): "a"]
        )
        #expect(head(response) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nx-Custom: a\r\n\r\n")
    }

    @Test func noFields() {
        #expect(head(HTTPResponse(status: .notFound)) == "HTTP/1.1 404 Not Found\r\n\r\n")
    }

    @Test func customAndEmptyReasonPhrases() {
        #expect(head(HTTPResponse(status: .init(code: 299, reasonPhrase: "Fine"))) == "HTTP/1.1 299 Fine\r\n\r\n")
        #expect(head(HTTPResponse(status: 204)) == "HTTP/1.1 204 \r\n\r\n")
    }

    @Test func repeatedFieldsStaySeparateLines() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .setCookie, value: "a=1"))
        fields.append(HTTPField(name: .setCookie, value: "b=2"))
        #expect(head(HTTPResponse(status: .ok, headerFields: fields)) == "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")
    }

    @Test func valuesCannotInjectLines() {
        let response = HTTPResponse(status: .ok, headerFields: [fieldName("X-Evil"): "a\r\nInjected: yes"])
        #expect(head(response) == "HTTP/1.1 200 OK\r\nX-Evil: a  Injected: yes\r\n\r\n")
    }

    @Test func appendsToExistingBytes() {
        var buffer = Array("previous".utf8)
        HTTPResponseEncoder.writeHead(HTTPResponse(status: .noContent), into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "previousHTTP/1.1 204 No Content\r\n\r\n")
    }
}
