import Cryptography
import Foundation

/// `Fullscript-Signature: t=<unix seconds>,v1=<hex>`: v1 is the lowercase hex HMAC-SHA256 of
/// `"<t>.<raw body>"` under the signature secret. Several v1 values may be present (Fullscript
/// rotating its side); one matching any of our secrets is enough.
struct WebhookSignature: Equatable {
    /// Fullscript's recommended tolerance, applied both ways so a fast sender clock is not a hole.
    static let tolerance: TimeInterval = 300

    let timestamp: Int64
    /// Lowercased, each 64 hex digits.
    let signatures: [String]

    /// Elements are `key=value` separated by commas, spaces around either tolerated; unknown keys
    /// (a future `v2`) are skipped; `t` must appear once, `v1` at least once.
    init(header: String) throws(WebhookSignatureError) {
        var timestamp: Int64?
        var signatures: [String] = []
        for element in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = element.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .malformed }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t":
                guard timestamp == nil, (1...12).contains(value.utf8.count), value.utf8.allSatisfy(ASCII.isDigit),
                      let seconds = Int64(value) else { throw .malformed }
                timestamp = seconds
            case "v1":
                guard value.utf8.count == 2 * HMACSHA256.byteCount, value.utf8.allSatisfy(Self.isHexDigit) else { throw .malformed }
                signatures.append(value.lowercased())
            case "":
                throw .malformed
            default:
                continue
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformed }
        self.timestamp = timestamp
        self.signatures = signatures
    }

    /// Checks the header against the raw body. The time window is checked before any MAC, so a
    /// replayed old delivery is called stale even when its signature is right.
    static func verify(header: String?, body: [UInt8], secrets: [String], now: Date) throws(WebhookSignatureError) {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { throw .missing }
        let signature = try WebhookSignature(header: header)
        let age = now.timeIntervalSince1970 - TimeInterval(signature.timestamp)
        if age > tolerance { throw .stale }
        if age < -tolerance { throw .future }
        let message = Array("\(signature.timestamp).".utf8) + body
        // Every pair is compared, matched or not, so the time taken says nothing about which key or
        // signature was right.
        var matched = false
        for secret in secrets {
            let expected = Array(Hex.encode(HMACSHA256.authenticate(message, key: Array(secret.utf8))).utf8)
            for candidate in signature.signatures where ConstantTime.equals(expected, Array(candidate.utf8)) {
                matched = true
            }
        }
        guard matched else { throw .mismatch }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }
}
