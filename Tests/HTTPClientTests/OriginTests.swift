@testable import HTTPClient
import HTTPTypes
import Testing

struct OriginTests {
    private func origin(_ scheme: String?, _ authority: String?, path: String? = "/", allowLoopback: Bool = true) throws(HTTPClientError) -> Origin {
        try Origin(of: HTTPRequest(method: .get, scheme: scheme, authority: authority, path: path), allowPlainHTTPToLoopback: allowLoopback)
    }

    @Test func defaultsThePortBySchemeAndLowercasesTheHost() throws {
        #expect(try origin("https", "API.Example.com").description == "https://api.example.com:443")
        #expect(try origin("http", "localhost").description == "http://localhost:80")
        #expect(try origin("https", "example.com:8443").port == 8443)
    }

    @Test func unwrapsIPv6Literals() throws {
        let address = try origin("https", "[::1]:9000")
        #expect(address.host == "::1")
        #expect(address.isIPAddress)
        #expect(address.description == "https://[::1]:9000")
        #expect(try origin("http", "[::1]").port == 80)
    }

    @Test func refusesWhatIsNotAnHTTPOrigin() {
        #expect(throws: HTTPClientError.self) { try origin("ftp", "example.com") }
        #expect(throws: HTTPClientError.self) { try origin(nil, "example.com") }
        #expect(throws: HTTPClientError.self) { try origin("https", nil) }
        #expect(throws: HTTPClientError.self) { try origin("https", "user:pass@example.com") }
        #expect(throws: HTTPClientError.self) { try origin("https", "example.com:0") }
        #expect(throws: HTTPClientError.self) { try origin("https", "example.com:x") }
        #expect(throws: HTTPClientError.self) { try origin("https", "[::1") }
        #expect(throws: HTTPClientError.self) { try origin("https", "example.com", path: "no-slash") }
        #expect(throws: HTTPClientError.self) { try origin("https", "example.com", path: "/a b") }
    }

    @Test func allowsPlainHTTPOnlyToLoopbackWhenAsked() throws {
        for host in ["localhost", "127.0.0.1", "127.8.9.10", "[::1]"] {
            #expect(throws: Never.self) { try origin("http", host) }
            #expect(throws: HTTPClientError.insecureURL("http://\(host)")) { try origin("http", host, allowLoopback: false) }
        }
        for host in ["example.com", "10.0.0.1", "128.0.0.1", "[::2]", "localhost.example.com"] {
            #expect(throws: HTTPClientError.insecureURL("http://\(host)")) { try origin("http", host) }
        }
    }
}
