import Cryptography
import Testing

@Suite struct JWTTests {
    /// RFC 7515 Appendix A.1: the HS256 example token and its JWK `k` value.
    static let rfcToken = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let rfcKey = Base64URL.decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
    )!
    /// The JWS Payload octets of A.1, line breaks CRLF as the RFC specifies.
    static let rfcPayload = Array("{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}".utf8)

    @Test func verifiesRFC7515AppendixA1() throws {
        #expect(Self.rfcKey.count == 64)
        #expect(try JWT.verifyHS256(Self.rfcToken, key: Self.rfcKey) == Self.rfcPayload)
    }

    /// The jwt.io introduction's example: header `{"alg":"HS256","typ":"JWT"}`,
    /// secret "your-256-bit-secret". Our header is byte-for-byte the same, so
    /// signing must reproduce the published token.
    @Test func signsTheJWTIOExample() throws {
        let claims = Array(#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#.utf8)
        let token = JWT.signHS256(claims: claims, key: "your-256-bit-secret".utf8)
        #expect(token == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
        #expect(try JWT.verifyHS256(token, key: "your-256-bit-secret".utf8) == claims)
    }

    @Test func roundTripsArbitraryClaims() throws {
        let key = SecureRandom.bytes(count: 32)
        let claims = Array(#"{"sub":"patient/7","exp":1900000000,"jti":"a-b_c"}"#.utf8)
        #expect(try JWT.verifyHS256(JWT.signHS256(claims: claims, key: key), key: key) == claims)
    }

    /// The classic attack: an unsigned token that declares it needs no signature.
    @Test(arguments: ["none", "None", "NONE", "nOnE"])
    func rejectsAlgNone(alg: String) {
        let header = Base64URL.encode(Array(#"{"alg":"\#(alg)","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Self.rfcPayload)
        #expect(throws: JWTError.unsupportedAlgorithm(alg)) {
            try JWT.verifyHS256(header + "." + payload + ".", key: Self.rfcKey)
        }
    }

    /// Correctly HMAC-signed with the right key, so only the `alg` check can refuse them.
    @Test(arguments: ["HS512", "HS384", "RS256", "ES256", "hs256", "HS256 ", ""])
    func rejectsAnyOtherAlgorithmEvenWhenTheMacIsRight(alg: String) {
        let token = Self.signed(header: #"{"alg":"\#(alg)"}"#, payload: Self.rfcPayload, key: Self.rfcKey)
        #expect(throws: JWTError.unsupportedAlgorithm(alg)) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    @Test(arguments: [
        #"{"typ":"JWT"}"#,
        #"{"alg":null}"#,
        #"{"alg":256}"#,
        #"{"alg":["HS256"]}"#,
        #"["HS256"]"#,
        #""HS256""#,
        #"{"alg":"HS256""#,
        #"{"alg":"HS256"} x"#,
        "",
    ])
    func rejectsHeadersWithoutAStringAlgAsMalformed(header: String) {
        let token = Self.signed(header: header, payload: Self.rfcPayload, key: Self.rfcKey)
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    @Test func rejectsCriticalExtensions() {
        let token = Self.signed(header: #"{"alg":"HS256","crit":["exp"],"exp":1}"#, payload: Self.rfcPayload, key: Self.rfcKey)
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    /// RFC 7515 §5.2: repeated names must be rejected or resolved to the last.
    /// Foundation's JSONDecoder keeps the first, which would read `none` here.
    @Test(arguments: [
        #"{"alg":"none","alg":"HS256"}"#,
        #"{"alg":"HS256","alg":"none"}"#,
        #"{"alg":"none","al\u0067":"HS256"}"#,
        #"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
    ])
    func rejectsRepeatedHeaderNames(header: String) {
        let token = Self.signed(header: header, payload: Self.rfcPayload, key: Self.rfcKey)
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    /// Colons and brackets inside strings and nested values are not top-level
    /// members, so the repeated-name check must not count them.
    @Test(arguments: [
        #"{"alg":"HS256","kid":"a\":b{"}"#,
        #"{"alg":"HS256","jwk":{"kty":"oct","k":"x:y"},"x5c":["a:b",{"c":1}]}"#,
        "{ \"alg\" : \"HS256\" ,\r\n \"typ\" : \"JWT\" }",
    ])
    func acceptsNestedAndSpacedHeaders(header: String) throws {
        let token = Self.signed(header: header, payload: Self.rfcPayload, key: Self.rfcKey)
        #expect(try JWT.verifyHS256(token, key: Self.rfcKey) == Self.rfcPayload)
    }

    /// JSONDecoder would read UTF-16, but RFC 7515 headers are UTF-8.
    @Test func rejectsUTF16Header() {
        let utf16 = #"{"alg":"HS256"}"#.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }
        let signingInput = Base64URL.encode(utf16) + "." + Base64URL.encode(Self.rfcPayload)
        let token = signingInput + "." + Base64URL.encode(HMACSHA256.authenticate(signingInput.utf8, key: Self.rfcKey))
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    @Test func rejectsTamperedPayload() {
        let parts = Self.rfcToken.split(separator: ".")
        let forged = Array("{\"iss\":\"joe\",\r\n \"exp\":9999999999,\r\n \"http://example.com/is_root\":true}".utf8)
        let token = parts[0] + "." + Base64URL.encode(forged) + "." + parts[2]
        #expect(throws: JWTError.badSignature) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    @Test func rejectsTamperedSignatureWrongKeyAndMissingSignature() {
        var signature = Array(Self.rfcToken.split(separator: ".")[2].utf8)
        signature[0] = UInt8(ascii: "e")
        let tampered = Self.rfcToken.split(separator: ".").dropLast().joined(separator: ".") + "." + String(decoding: signature, as: UTF8.self)
        #expect(throws: JWTError.badSignature) { try JWT.verifyHS256(tampered, key: Self.rfcKey) }
        #expect(throws: JWTError.badSignature) { try JWT.verifyHS256(Self.rfcToken, key: Self.rfcKey.dropLast()) }
        let unsigned = Self.rfcToken.split(separator: ".").dropLast().joined(separator: ".") + "."
        #expect(throws: JWTError.badSignature) { try JWT.verifyHS256(unsigned, key: Self.rfcKey) }
    }

    /// The published signature ends in 'k', whose two low bits are unused; 'l'
    /// decodes to the same MAC, and would verify if the decoder were lenient.
    @Test func rejectsANonCanonicalSignatureEncoding() {
        #expect(Self.rfcToken.hasSuffix("k"))
        let respelled = Self.rfcToken.dropLast() + "l"
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(String(respelled), key: Self.rfcKey) }
    }

    @Test(arguments: [
        "",
        "abc",
        "a.b",
        "eyJhbGciOiJIUzI1NiJ9.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30.sig.extra",
        "eyJhbGciOiJIUzI1NiJ9.e30..",
        "eyJhbGciOiJIUzI1NiJ9=.e30.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.e3+.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2l/",
    ])
    func rejectsMalformedCompactSerialization(token: String) {
        #expect(throws: JWTError.malformed) { try JWT.verifyHS256(token, key: Self.rfcKey) }
    }

    private static func signed(header: String, payload: [UInt8], key: [UInt8]) -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        return signingInput + "." + Base64URL.encode(HMACSHA256.authenticate(signingInput.utf8, key: key))
    }
}
