@testable import App
import Cryptography
import Foundation
import FullscriptSandbox
import Testing

/// `Fullscript-Signature: t=…,v1=…` as Fullscript documents it, checked against the simulator's signer.
struct WebhookSignatureTests {
    static let body = Array(#"{"event":{"id":"ev-1","type":"treatment_plan.created","data":{}}}"#.utf8)
    static let now = Date(timeIntervalSince1970: 1_718_000_000)

    static func header(_ body: [UInt8] = body, secret: String = "current", at date: Date = now) -> String {
        WebhookSigner(secret: secret).signature(timestamp: Int(date.timeIntervalSince1970), body: body)
    }

    static func verify(_ header: String?, _ body: [UInt8] = body, secrets: [String] = ["current"],
                       now: Date = now) throws(WebhookSignatureError) {
        try WebhookSignature.verify(header: header, body: body, secrets: secrets, now: now)
    }

    @Test func aValidSignatureIsAccepted() throws {
        try Self.verify(Self.header())
    }

    @Test func theSignatureIsOverTheTimestampAndTheRawBody() {
        let mac = HMACSHA256.authenticate(Array("1718000000.".utf8) + Self.body, key: Array("current".utf8))
        #expect(Self.header() == "t=1718000000,v1=\(Hex.encode(mac))")
    }

    @Test func aWrongSecretOrATamperedBodyIsAMismatch() {
        #expect(throws: WebhookSignatureError.mismatch) { try Self.verify(Self.header(secret: "someone-else")) }
        var tampered = Self.body
        tampered[tampered.count - 3] = UInt8(ascii: "[")
        #expect(throws: WebhookSignatureError.mismatch) { try Self.verify(Self.header(), tampered) }
        // The timestamp is signed too: moving it breaks the signature.
        let moved = Self.header().replacingOccurrences(of: "t=1718000000", with: "t=1718000001")
        #expect(throws: WebhookSignatureError.mismatch) { try Self.verify(moved) }
    }

    @Test func fiveMinutesEitherWayAndNoMore() throws {
        try Self.verify(Self.header(at: Self.now.addingTimeInterval(-300)))
        try Self.verify(Self.header(at: Self.now.addingTimeInterval(300)))
        #expect(throws: WebhookSignatureError.stale) { try Self.verify(Self.header(at: Self.now.addingTimeInterval(-301))) }
        #expect(throws: WebhookSignatureError.future) { try Self.verify(Self.header(at: Self.now.addingTimeInterval(301))) }
        // A stale replay is called stale even though its signature is right.
        #expect(throws: WebhookSignatureError.stale) { try Self.verify(Self.header(at: Self.now.addingTimeInterval(-86_400))) }
    }

    @Test func aMissingHeaderIsMissing() {
        #expect(throws: WebhookSignatureError.missing) { try Self.verify(nil) }
        #expect(throws: WebhookSignatureError.missing) { try Self.verify("  ") }
    }

    @Test(arguments: [
        "v1=" + String(repeating: "a", count: 64),                       // no timestamp
        "t=1718000000",                                                    // no signature
        "t=1718000000,v1=abc",                                             // short
        "t=1718000000,v1=" + String(repeating: "g", count: 64),            // not hex
        "t=soon,v1=" + String(repeating: "a", count: 64),
        "t=-5,v1=" + String(repeating: "a", count: 64),
        "t=1,t=2,v1=" + String(repeating: "a", count: 64),                 // two timestamps
        "t=1718000000;v1=" + String(repeating: "a", count: 64),
        "t=1718000000,,v1=" + String(repeating: "a", count: 64),
        "garbage",
    ])
    func malformedHeadersAreRefused(header: String) {
        #expect(throws: WebhookSignatureError.malformed) { try Self.verify(header) }
    }

    @Test func spacesSeveralSignaturesAndUnknownSchemesAreTolerated() throws {
        let good = String(Self.header().split(separator: "=").last!)
        let other = String(repeating: "0", count: 64)
        try Self.verify(" t = 1718000000 , v1=\(other), v0=whatever ,v1= \(good.uppercased()) ")
        let parsed = try WebhookSignature(header: "t=1718000000,v1=\(other),v1=\(good)")
        #expect(parsed.timestamp == 1_718_000_000 && parsed.signatures == [other, good])
    }

    @Test func duringARotationTheOldAndTheNewSecretAreBothAccepted() throws {
        let secrets = ["new-secret", "old-secret"]
        try Self.verify(Self.header(secret: "new-secret"), secrets: secrets)
        try Self.verify(Self.header(secret: "old-secret"), secrets: secrets)
        #expect(throws: WebhookSignatureError.mismatch) { try Self.verify(Self.header(secret: "retired"), secrets: secrets) }
    }

    @Test func settingsComeFromTheEnvironmentOrFilesBothOrNeither() async throws {
        #expect(try await AppConfigTests.load([:]).fullscript.webhook == nil)
        let rotating = try await AppConfigTests.load([
            "FULLSCRIPT_WEBHOOK_CHALLENGE": "chal", "FULLSCRIPT_WEBHOOK_SECRET": " new , old ,",
        ]).fullscript.webhook
        #expect(rotating?.challenge == "chal" && rotating?.secrets == ["new", "old"])

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-secret-\(UUID().uuidString)")
        try Data("from-a-file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try await AppConfigTests.load(["FULLSCRIPT_WEBHOOK_CHALLENGE": "chal", "FULLSCRIPT_WEBHOOK_SECRET_FILE": file.path])
        #expect(fromFile.fullscript.webhook?.secrets == ["from-a-file"])

        let half = await #expect(throws: ConfigError.self) { try await AppConfigTests.load(["FULLSCRIPT_WEBHOOK_SECRET": "s"]) }
        #expect(half?.key == "fullscript.webhook_challenge")
        #expect(half?.description.contains("FULLSCRIPT_WEBHOOK_CHALLENGE") == true)
        let otherHalf = await #expect(throws: ConfigError.self) { try await AppConfigTests.load(["FULLSCRIPT_WEBHOOK_CHALLENGE": "c"]) }
        #expect(otherHalf?.key == "fullscript.webhook_secret")
    }
}
