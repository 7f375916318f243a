@testable import App
import Foundation
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// The EHR's changes to a linked patient reach Fullscript through the durable outbox.
struct PatientSyncTests {
    static func linkedJordan(_ harness: ConnectedHarness) async throws -> (key: String, fullscriptID: String) {
        let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
        let session = try await harness.signIn()
        try await harness.connect(session: session)
        #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
        return (key, try #require(try await harness.mapping(of: "p-1001")))
    }

    static func sync(_ harness: ConnectedHarness, key: String) async throws -> [String: Any]? {
        let response = try await harness.request("GET /api/v1/patients/p-1001", headers: ["Authorization: Bearer \(key)"])
        let body = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return body?["fullscript_sync"] as? [String: Any]
    }

    /// Polled from the store: polling the API would spend the key's rate limit.
    static func status(_ harness: ConnectedHarness) async throws -> String? {
        guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID) else { return nil }
        return patient.fullscriptSync?.status
    }

    static func updates(_ harness: ConnectedHarness, _ fullscriptID: String) async -> [RecordedRequest] {
        await harness.sandbox.recordedRequests().filter { $0.method == "PATCH" && $0.path == "/api/clinic/patients/\(fullscriptID)" }
    }

    static let changed = #"{"email":"jordan.r@example.com","first_name":"Jordan","last_name":"Rivera-Lee","date_of_birth":"1984-03-12"}"#

    @Test func aChangeToALinkedPatientReachesFullscript() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            #expect(try await Self.sync(harness, key: key) == nil, "nothing to push yet")

            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            #expect(try await Self.sync(harness, key: key)?["status"] as? String == "synced")
            let sent = try #require(await Self.updates(harness, fullscriptID).first)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
            #expect(body["email"] as? String == "jordan.r@example.com" && body["last_name"] as? String == "Rivera-Lee")
            #expect(body["gender"] is NSNull && body["mobile_number"] is NSNull, "cleared in the EHR, cleared in Fullscript")

            // The same body again changes nothing, so nothing more is sent.
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await Self.status(harness) == "synced", "not queued again")
        }
    }

    @Test func aPassingFailureIsRetriedAndARefusalSettlesAsFailedWithTheReason() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            await harness.sandbox.setFaults([.status(503)], count: 1, pathPrefix: "/api/clinic/patients/")
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            #expect(await Self.updates(harness, fullscriptID).count == 2, "tried again after the 503")

            await harness.sandbox.setFaults([.status(403)], count: 1, pathPrefix: "/api/clinic/patients/")
            let refused = try await harness.putPatient("p-1001", body: #"{"email":"jordan.r@example.com","first_name":"Jo"}"#, key: key)
            #expect(refused.status == 200, "\(refused.text)")
            #expect(try await eventually { try await Self.status(harness) == "failed" })
            let sync = try #require(try await Self.sync(harness, key: key))
            #expect((sync["error"] as? String)?.contains("denied access") == true, "\(sync)")
            #expect(sync["updated_at"] is String)
            #expect(await Self.updates(harness, fullscriptID).count == 3, "a refusal is not retried")
        }
    }

    /// A change queued while nothing was sending (the process died, or was stopped) goes out at the next start.
    @Test func aChangeQueuedWhileStoppedIsSentAtTheNextStart() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            await harness.application.patientSync.stop()
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await Self.status(harness) == "pending")
            #expect(await Self.updates(harness, fullscriptID).isEmpty)

            let application = harness.application
            let restarted = PatientSync(
                outbox: PatientSyncStore(database: application.database), patients: application.patients, vault: application.vault,
                clients: application.config.fullscript.clients(
                    over: application.httpClient, regions: TenantRegions(database: application.database), logger: ApplicationTests.quietLogger,
                    metrics: application.metrics
                ),
                logger: ApplicationTests.quietLogger, now: { harness.clock.now() }
            )
            restarted.start()
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            await restarted.stop()
            #expect(await Self.updates(harness, fullscriptID).count == 1)
        }
    }
}
