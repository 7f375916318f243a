@testable import App
import Foundation
import Logging
import ServerTesting
import Synchronization
import Testing
import Server

/// What operators' logs hold: above debug, never a secret and never a patient's details.
struct LogHygieneTests {
    @Test func aWholeClickAndWebhookLeaveNoSecretOrPatientDetailAtInfo() async throws {
        let logs = LogCapture()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .info
        try await withHarness(identity: nil, deliverWebhooks: true, logger: logger) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let launchToken = harness.mint()
            let launched = try await harness.get("/launch?token=\(launchToken)", user: nil)
            let session = try #require(launched.header("set-cookie")?.split(separator: ";").first.map(String.init))
            try await harness.connect(session: session)
            try await harness.recommendAndActivate(session: session, message: "Private note about magnesium")
            #expect(try await eventually { try await harness.webhookEvents().first?.hasSuffix("|processed|1") == true })
            let connection = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn")))

            let text = logs.lines.joined(separator: "\n")
            #expect(text.range(of: "fullscript call") != nil, "the capture saw the application's logs")
            let secrets = [connection.accessToken, connection.refreshToken, String(session.dropFirst("fsr_session=".count)), launchToken,
                           "sandbox-secret", ApplicationTests.launchSecret]
            let patientDetails = ["jordan.rivera@example.com", "Jordan", "Rivera", "1984-03-12", "+15555550101", "Private note"]
            for leaked in (secrets + patientDetails) where text.range(of: leaked) != nil {
                Issue.record("logged at info or above: \(leaked.prefix(12))…")
            }
        }
    }
}

struct RequestScopeLogTests {
    @Test func aFullscriptCallIsLoggedWithTheClicksRequestIdAndFullscriptsOwn() async throws {
        let lines = LineRecord()
        var logger = Logger(label: "fsr") { JSONLogHandler(label: $0, metadataProvider: .requestID, write: lines.append) }
        logger.logLevel = .info
        // Live: the access log line is the server's, written as it answers on the wire.
        try await withHarness(mode: .live, identity: nil, logger: logger) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.request("GET /recommend/p-1001", headers: ["Cookie: \(session)", "X-Request-Id: click-42"])
            #expect(click.status == 302)

            let objects = lines.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let call = try #require(objects.first { $0["message"] as? String == "fullscript call" && $0["request_id"] as? String == "click-42" })
            #expect(call["path"] as? String == "/api/clinic/dynamic_links/treatment_plans")
            let fullscriptID = try #require(call["fullscript_request_id"] as? String)
            #expect(fullscriptID != "click-42" && fullscriptID != "-")
            #expect(objects.contains { $0["message"] as? String == "GET /recommend/p-1001 302" && $0["request_id"] as? String == "click-42" })
        }
    }
}

struct JSONLogHandlerTests {
    @Test func oneObjectPerLineWithMetadataAsFields() throws {
        let lines = LineRecord()
        var logger = Logger(label: "fsr") { JSONLogHandler(label: $0, write: lines.append) }
        logger[metadataKey: "request_id"] = "req-7"
        logger.warning("fullscript call failed", metadata: ["status": "502", "path": .array(["a", "b"])])
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "fullscript call failed")
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "fsr")
        #expect(object["request_id"] as? String == "req-7")
        #expect(object["status"] as? String == "502")
        #expect(object["path"] as? [String] == ["a", "b"])
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }
}

