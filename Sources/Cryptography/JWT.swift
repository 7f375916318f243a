internal import Foundation

public enum JWTError: Error, Equatable, Sendable {
    /// Not three base64url segments, or a header that is not a JSON object with a
    /// string `alg`, or one that repeats a name or has `crit`.
    case malformed
    /// The header names an algorithm other than HS256; the value is the header's `alg`.
    case unsupportedAlgorithm(String)
    case badSignature
}

/// JSON Web Tokens (RFC 7519) in JWS compact serialization (RFC 7515), HS256
/// only. The verifier never lets a token choose how it is checked: anything not
/// declaring HS256 is refused before its signature is looked at. Claims (`exp`,
/// `iat`, `jti`, ...) are the caller's to validate.
public enum JWT {
    private static let encodedHeader = Base64URL.encode(#"{"alg":"HS256","typ":"JWT"}"#.utf8)

    /// `claims` is the JSON claims set, signed exactly as given.
    public static func signHS256(claims: [UInt8], key: some Collection<UInt8>) -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(claims)
        return signingInput + "." + Base64URL.encode(HMACSHA256.authenticate(signingInput.utf8, key: key))
    }

    /// Returns the payload bytes (the claims JSON) once the header and signature check out.
    public static func verifyHS256(_ token: String, key: some Collection<UInt8>) throws(JWTError) -> [UInt8] {
        let segments = token.utf8.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard segments.count == 3,
              let headerJSON = Base64URL.decode(ascii: segments[0]),
              let header = Header(json: headerJSON)
        else { throw .malformed }
        guard header.algorithm == "HS256" else { throw .unsupportedAlgorithm(header.algorithm) }
        guard !header.names.contains("crit"),
              let payload = Base64URL.decode(ascii: segments[1]),
              let signature = Base64URL.decode(ascii: segments[2])
        else { throw .malformed }
        // The signing input is the token's own ASCII up to the second dot, not a
        // re-encoding of the decoded parts.
        let signingInput = token.utf8[..<segments[1].endIndex]
        guard HMACSHA256.isValid(signature, for: signingInput, key: key) else { throw .badSignature }
        return payload
    }

    /// The header as the verifier reads it. `crit` names extensions a recipient
    /// must understand (RFC 7515 §4.1.11); this verifier understands none, so its
    /// presence alone rejects the token.
    private struct Header: Decodable {
        let algorithm: String
        let names: Set<String>

        /// Nil unless `json` is a UTF-8 JSON object with a string `alg` and no
        /// repeated names. RFC 7515 §5.2 allows either rejecting repeats or taking
        /// the last; JSONDecoder silently takes the first, so repeats are rejected
        /// by counting the members it saw against the distinct names it kept.
        init?(json: [UInt8]) {
            // UTF-16 and UTF-32, which JSONDecoder also accepts, always contain zero
            // bytes; refusing them keeps the byte-wise member count reading UTF-8.
            guard !json.contains(0),
                  let header = try? JSONDecoder().decode(Header.self, from: Data(json)),
                  header.names.count == Self.memberCount(json)
            else { return nil }
            self = header
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Name.self)
            algorithm = try container.decode(String.self, forKey: Name(stringValue: "alg"))
            names = Set(container.allKeys.map(\.stringValue))
        }

        /// Members of the top-level object of JSON the decoder has accepted: the
        /// colons at depth 1 outside strings.
        private static func memberCount(_ json: [UInt8]) -> Int {
            var depth = 0
            var count = 0
            var inString = false
            var escaped = false
            for byte in json {
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                case UInt8(ascii: ":") where depth == 1: count += 1
                default: break
                }
            }
            return count
        }

        private struct Name: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }

            init(stringValue: String) {
                self.stringValue = stringValue
            }

            init?(intValue: Int) {
                nil
            }
        }
    }
}
