import FullscriptSandbox
import Testing

struct WebhookSignerTests {
    /// Vector from `printf '%s' '1700000000.{"event":{"id":"evt-1"}}' | openssl dgst -sha256 -hmac 'sandbox-webhook-secret'`.
    @Test func matchesOpenSSL() {
        let signer = WebhookSigner(secret: "sandbox-webhook-secret")
        #expect(signer.signature(timestamp: 1_700_000_000, body: Array(#"{"event":{"id":"evt-1"}}"#.utf8))
            == "t=1700000000,v1=4d5b79508b70a1f8848fba07ffb312309e4f60df1b293f0eba63648e0960e61f")
    }
}
