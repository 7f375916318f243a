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
    func add(_ patient: PatientRecord) async throws {
        try await application.patients.upsert(patient, in: Tenant.defaultID, audit: AuditEntry(tenant: Tenant.defaultID, actor: "test", action: "patient.upsert", outcome: "ok"), at: Date())
    }

    /// `user|patient|practitioner|kind|entrypoint|outcome|fullscript request id`, oldest first.
    func recommendations() async throws -> [String] {
        try await application.database.read { connection in
            try connection.query("SELECT * FROM recommendations ORDER BY id") { row in
                try ["ehr_user_id", "ehr_patient_id", "practitioner_id", "link_kind", "entrypoint", "outcome", "fullscript_request_id"]
                    .map { try row.optionalString($0) ?? "" }.joined(separator: "|")
            }
        }
    }

    /// The POSTs for a draft plan: the draft link's, and the gateway link's that every click after a patient's first uses.
    func planLinkRequests() async -> [RecordedRequest] {
        await sandbox.recordedRequests().filter {
            $0.method == "POST" && ($0.path.hasSuffix("/dynamic_links/treatment_plans") || $0.path.hasSuffix("/dynamic_links/gateway/treatment_plans"))
        }
    }

    func request(_ line: String, headers: [String]) async throws -> TestResponse {
        let response = try await self.execute("\(line) HTTP/1.1\r\nHost: x\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
        return response
    }
}
