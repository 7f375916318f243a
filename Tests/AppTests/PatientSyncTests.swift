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
                settings: application.config.fullscript, logger: ApplicationTests.quietLogger, now: { harness.clock.now() }
            )
            restarted.start()
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            await restarted.stop()
            #expect(await Self.updates(harness, fullscriptID).count == 1)
        }
    }

    /// Timeouts, 5xx and 429 are retried after 2, 8, 32 and 128 s, and the fifth failure settles the
    /// change as failed: the outbox never retries without end.
    @Test func passingFailuresBackOffAndStopAtTheBound() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            await harness.sandbox.setFaults([.status(503)], count: nil, pathPrefix: "/api/clinic/patients/")
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            var backoffs: [Int] = []
            for attempt in 1..<5 {
                #expect(try await eventually { try await Self.outboxRow(harness).attempts == attempt })
                let row = try await Self.outboxRow(harness)
                backoffs.append(Int((row.due.timeIntervalSince(row.updated)).rounded()))
                harness.clock.advance(by: 200)
                harness.application.patientSync.signal()
            }
            #expect(backoffs == [2, 8, 32, 128])
            #expect(try await eventually { try await Self.status(harness) == "failed" })
            #expect(await Self.updates(harness, fullscriptID).count == 5, "the fifth failure is the last attempt")
            let sync = try #require(try await Self.sync(harness, key: key))
            #expect((sync["error"] as? String)?.contains("503") == true, "\(sync)")
        }
    }

    static func outboxRow(_ harness: ConnectedHarness) async throws -> (attempts: Int, due: Date, updated: Date) {
        try await harness.application.database.read { connection in
            let row = try #require(try connection.queryFirst("SELECT attempts, due_at, updated_at FROM patient_sync WHERE ehr_patient_id = 'p-1001'"))
            let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            return (try row.int("attempts"), try Date(try row.string("due_at"), strategy: stamp), try Date(try row.string("updated_at"), strategy: stamp))
        }
    }

    /// A push our side cannot make (the tenant's region has no Fullscript app here) waits with the reason
    /// and is tried again later; before, the same change was read again at once, without end.
    @Test func aPushWeCannotMakeWaitsWithTheReason() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            _ = try await TenantStore(database: harness.application.database).create(id: "maple", name: "Maple Clinic", region: .ca)
            let key = try await TenancyTests.key(harness, "maple-sync", tenant: "maple")
            #expect(try await TenancyTests.service(harness, "PUT", "/api/v1/patients/p-1", key: key, body: #"{"email":"p1@example.com"}"#).status == 201)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "pat-1", in: "maple", at: Date())
            #expect(try await TenancyTests.service(harness, "PUT", "/api/v1/patients/p-1", key: key, body: #"{"email":"p1.new@example.com"}"#)
                .status == 200)

            func sync() async throws -> PatientSyncState? {
                guard case .found(let patient) = try await harness.application.patients.find("p-1", in: "maple") else { return nil }
                return patient.fullscriptSync
            }
            #expect(try await eventually { try await sync()?.error != nil })
            let state = try #require(try await sync())
            #expect(state.status == "pending", "tried again later")
            #expect(state.error?.contains("no Fullscript app") == true, "\(state)")
            #expect(await harness.sandbox.recordedRequests().filter { $0.method == "PATCH" }.isEmpty)
        }
    }

    /// A PUT landing while a patient's first click is on its way: Fullscript was told the details as they
    /// were, and the mapping the click then records queues the new ones. Before, nothing was queued (the
    /// patient was not linked when the PUT came) and Fullscript kept the old email.
    @Test func aChangeWhileTheFirstClickIsOnItsWayStillReachesFullscript() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.setFaults([.latency(.seconds(1))], count: 1, pathPrefix: "/api/clinic/dynamic_links/")
            let click = Task { try await harness.get("/recommend/p-1001", user: nil, cookie: session) }
            #expect(await eventually { await harness.planLinkRequests().count == 1 }, "the link is on its way")
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await click.value.status == 302)

            let fullscriptID = try #require(try await harness.mapping(of: "p-1001"))
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            let sent = try #require(await Self.updates(harness, fullscriptID).last)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
            #expect(body["email"] as? String == "jordan.r@example.com" && body["last_name"] as? String == "Rivera-Lee")
        }
    }

    /// The same EHR patient id in two practices, each linked to its own Fullscript patient: a key of one
    /// queues and pushes only its own practice's patient, through its own practice's users.
    @Test func aKeyOfOnePracticeNeverPushesToAnotherPracticesPatient() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            try await TenancyTests.addLakeside(harness)
            let lakesideKey = try await TenancyTests.key(harness, "lakeside-sync", tenant: TenancyTests.lakeside)
            #expect(try await TenancyTests.service(harness, "PUT", "/api/v1/patients/p-1001", key: lakesideKey,
                                                   body: #"{"email":"other.jordan@example.com"}"#).status == 201)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "pat-lakeside", in: TenancyTests.lakeside,
                                                                 at: Date())

            #expect(try await TenancyTests.service(harness, "PUT", "/api/v1/patients/p-1001", key: lakesideKey,
                                                   body: #"{"email":"other.jordan@example.com","first_name":"Jo"}"#).status == 200)
            func lakesideSync() async throws -> PatientSyncState? {
                guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: TenancyTests.lakeside) else { return nil }
                return patient.fullscriptSync
            }
            // Waiting for one of lakeside's own to connect, not failed: nobody could try it.
            #expect(try await eventually { try await lakesideSync()?.error == PatientSyncError.nobodyConnected.description },
                    "default's user is not lakeside's")
            #expect(try await lakesideSync()?.status == "pending")
            #expect(try await Self.status(harness) == nil, "default's patient of the same id is untouched")
            #expect(await harness.sandbox.recordedRequests().filter { $0.method == "PATCH" }.isEmpty)

            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await eventually { try await Self.status(harness) == "synced" })
            #expect(await harness.sandbox.recordedRequests().filter { $0.method == "PATCH" }.map(\.path) == ["/api/clinic/patients/\(fullscriptID)"])
        }
    }

    /// Fullscript refusing the token even after a refresh settles the change as failed, and the reason the
    /// API shows names the refusal without the tokens, the patient's details or any link.
    @Test func aRefusedTokenSettlesAsFailedWithAReasonThatHoldsNoSecret() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.linkedJordan(harness)
            await harness.sandbox.setFaults([.status(401)], count: nil, pathPrefix: "/api/clinic/patients/")
            #expect(try await harness.putPatient("p-1001", body: Self.changed, key: key).status == 200)
            #expect(try await eventually { try await Self.status(harness) == "failed" })
            #expect(await Self.updates(harness, fullscriptID).count == 2, "one refresh, one retry, then settled")

            let reason = try #require(try await Self.sync(harness, key: key)?["error"] as? String)
            #expect(reason.contains("refused the access token"), "\(reason)")
            let connection = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn")))
            for secret in [connection.accessToken, connection.refreshToken, "http", "jordan", "Rivera"] {
                #expect(!reason.lowercased().contains(secret.lowercased()), "\(reason)")
            }
        }
    }
}
