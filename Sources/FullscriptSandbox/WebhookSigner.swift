import Cryptography

/// Signs webhook bodies as Fullscript does: `Fullscript-Signature: t=<unix seconds>,v1=<hex>`, where
/// v1 is the lowercase hex HMAC-SHA256, keyed with the signature secret, of `"<t>.<raw body>"`.
public struct WebhookSigner: Sendable {
    public static let headerName = "Fullscript-Signature"

    public let secret: String

    public init(secret: String) {
        self.secret = secret
    }

    public func signature(timestamp: Int, body: [UInt8]) -> String {
        let mac = HMACSHA256.authenticate(Array("\(timestamp).".utf8) + body, key: Array(secret.utf8))
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }
}
