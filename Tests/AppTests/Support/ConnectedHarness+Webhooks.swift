@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import HTTPTypes
import Server
import ServerTesting
import Store
import Testing

extension ConnectedHarness {
    /// POSTs `body` to the webhook URL, signed with `secret` at `date` (now) unless `signature` is given.
    func deliver(_ body: [UInt8], secret: String? = ApplicationTests.webhookSecret, at date: Date? = nil,
                 signature: String? = nil) async throws -> TestResponse {
        let signed = signature ?? secret.map {
            WebhookSigner(secret: $0).signature(timestamp: Int((date ?? clock.now()).timeIntervalSince1970), body: body)
        }
        let response = try await self.execute(Array(("POST /webhooks/fullscript HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (signed.map { "Fullscript-Signature: \($0)\r\n" } ?? "") + "Content-Length: \(body.count)\r\n\r\n").utf8) + body)
        return response
    }

    static let barrierRow = "ev-barrier|product.updated|ignored|1"

    /// Delivers an event processing ignores and waits until it has been: everything received before it has
    /// been through processing by then, so a test can check what did not happen without sleeping.
    func deliverBarrier() async throws {
        let body = Array(#"{"event":{"id":"ev-barrier","type":"product.updated","clinic_id":"clinic-1","data":{"product":{"id":"product-1"}}}}"#.utf8)
        #expect(try await deliver(body).status == 200)
        #expect(try await eventually { try await webhookEvents().last == Self.barrierRow })
    }

    /// `event_id|type|status|attempts`, in received order.
    func webhookEvents() async throws -> [String] {
        try await application.database.read { connection in
            try connection.query("SELECT * FROM webhook_events ORDER BY received_at, rowid") { row in
                try ["event_id", "event_type", "status"].map { try row.string($0) }.joined(separator: "|") + "|\(try row.int("attempts"))"
            }
        }
    }

    /// `id|state|updated_at|personal_message|change_seq`.
    func storedPlans() async throws -> [String] {
        try await application.database.read { connection in
            try connection.query("SELECT * FROM treatment_plans ORDER BY id") { row in
                try ["id", "state", "updated_at", "personal_message"].map { try row.optionalString($0) ?? "" }.joined(separator: "|")
                    + "|\(try row.int64("change_seq"))"
            }
        }
    }

    /// Clicks Recommend for the patient, then activates the plan on the simulator's page as the
    /// practitioner would; the simulator sends a webhook only when `deliverWebhooks` was set.
    func recommendAndActivate(_ ehrPatientID: String = "p-1001", session: String, message: String? = nil) async throws {
        let click = try await get("/recommend/\(ehrPatientID)", user: nil, cookie: session)
        let location = try #require(click.header("location"))
        let planPath = try #require(URLComponents(string: location)?.path)
        let patient = try #require(try await mapping(of: ehrPatientID))
        let form = "patient_id=\(patient)" + (message.map { "&personal_message=" + FormURLEncoding.escape($0) } ?? "")
        let activated = try await fullscript.execute("POST \(planPath)/activate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
        #expect(activated.status == 303)
    }

    func mapping(of ehrPatientID: String) async throws -> String? {
        guard case .found(let record) = try await application.patients.find(ehrPatientID, in: Tenant.defaultID) else { return nil }
        return record.fullscriptPatientID
    }
}
