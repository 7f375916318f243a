import Testing

@testable import HTTP1

@Suite struct AuthorityTests {
    private func isValid(_ text: String, requiresPort: Bool = false) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { Authority.isValid($0, requiresPort: requiresPort) }
    }

    @Test(arguments: ["example.com", "example.com:80", "example.com:", "10.0.0.1:8080", "[::1]", "[v1.fe80::a+en1]:1", "a%41b", "sub-delims!$&'()*+,;="])
    func valid(authority: String) {
        #expect(isValid(authority))
    }

    @Test(arguments: ["", ":80", "a b", "user@host", "host:8o", "host/path", "[::1", "[]", "[::1]x", "%4", "%g1", "é.example"])
    func invalid(authority: String) {
        #expect(!isValid(authority))
    }

    @Test func portRequiredForAuthorityForm() {
        #expect(isValid("example.com:443", requiresPort: true))
        #expect(!isValid("example.com", requiresPort: true))
        #expect(!isValid("example.com:", requiresPort: true))
    }
}
