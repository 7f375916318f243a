@testable import App
import Foundation
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// Where one patient, one practice or one session ends: upgrades keep the claims, shared emails name
/// nobody, the outbox keeps to its practice and its rules, deployment-wide numbers are for operators.
/// (Started as an attacker review's reproductions of tenancy and patient identity: each failed when written.)
struct PracticeBoundaryTests {
    /// A database made by the release before tenants (migrations 0001-0006 and 0010, the launch claims)
    /// upgrades with its sessions' claims: the tenancy migration rebuilds `sessions`, and must not drop
    /// `patient_id` and `roles`, or every session and every launch fails.
    @Test func aDatabaseOfMainWithLaunchClaimsUpgradesKeepingABoundSession() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-claims-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("app.sqlite").path
        let old = try Database(path: path)
        let migrations = try Migrations.load(fromPath: repositoryRoot + "/Migrations", for: .sqlite)
        try await MigrationRunner(database: old, migrations: migrations.filter { $0.version <= 6 || $0.version == 10 }).applyPending()
        let seconds = Int64(Date().timeIntervalSince1970)
        try await old.write { connection in
            for id in ["p-1", "p-2"] {
                try connection.execute(
                    "INSERT INTO patients (ehr_patient_id, email, first_name, last_name, created_at, updated_at) VALUES (?, ?, 'Pat', 'Doe', ?, ?)",
                    [.text(id), .text("\(id)@example.com"), .text("2026-01-01T00:00:00.000Z"), .text("2026-01-01T00:00:00.000Z")]
                )
            }
            try connection.execute(
                """
                INSERT INTO sessions (id_hash, ehr_user_id, display_name, created_at, last_seen_at, expires_at, patient_id, roles)
                VALUES (?, 'dr-quinn', 'Dr. Avery Quinn', ?, ?, ?, 'p-1', 'practitioner')
                """,
                [.text(SessionStore.hash("bound-session")), .integer(seconds), .integer(seconds), .integer(seconds + 3600)]
            )
        }
        old.close()

        try await withHarness(try await ConnectedHarness(identity: nil, environment: ["DATABASE_PATH": path])) { harness in
            let cookie = "Cookie: fsr_session=bound-session"
            let me = try await harness.request("GET /ehr/api/me", headers: [cookie])
            #expect(me.status == 200, "the session made before the upgrade still signs in")
            #expect((try? me.json["user"] as? [String: Any])?["patient"] as? String == "p-1")
            let other = try await harness.request("GET /ehr/api/patients/p-2", headers: [cookie])
            #expect(other.status == 403, "still bound to its one patient")
            let token = LaunchToken.mint(for: EHRUser(id: "dr-lee", patient: "p-2"), secret: Array(ApplicationTests.launchSecret.utf8),
                                         now: harness.clock.now())
            let launched = try await harness.get("/launch?token=\(token)", user: nil)
            #expect(launched.status == 303, "a new launch with a patient claim still signs in")
        }
    }

    /// The EHR changes a patient's email while the patient's first click is at Fullscript with the old
    /// one. The patient was not linked when the PUT was saved, so nothing was queued; once the click links
    /// them, Fullscript keeps the old email for good (plan invitations go there), and later clicks name
    /// the patient by id. Linking a patient must push what the EHR holds by then.
    @Test func anEmailChangedWhileTheFirstClickLinksThePatientStillReachesFullscript() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            await harness.sandbox.setFaults([.latency(.milliseconds(800))], count: 1, pathPrefix: "/api/clinic/dynamic_links/")
            let click = Task { try await harness.get("/recommend/p-1001", user: nil, cookie: session) }
            #expect(await eventually { await harness.planLinkRequests().count == 1 }, "the draft link is at Fullscript")
            #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
            #expect(try await click.value.status == 302)
            let fullscriptID = try #require(try await harness.mapping(of: "p-1001"))

            #expect(try await eventually { try await PatientSyncTests.status(harness) == "synced" }, "the EHR's email is pushed")
            let sent = await PatientSyncTests.updates(harness, fullscriptID).last
            let body = sent.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            #expect(body?["email"] as? String == "jordan.r@example.com")
        }
    }

    /// Two EHR patients sharing an email (a family): Jordan is linked; a click for Jo makes a draft link
    /// that Fullscript matches by that email to Jordan. The mapping is refused and audited, but the
    /// practitioner is still sent to a draft plan preselecting Jordan, so the plan meant for Jo goes to
    /// Jordan. A click whose answer names a patient already someone else's must not land on that plan.
    @Test func aClickForOnePatientNeverLandsOnADraftForAnotherLinkedPatient() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let jordan = try #require(try await harness.mapping(of: "p-1001"))
            try await harness.add(PatientRecord(ehrPatientID: "p-1002", email: "jordan.rivera@example.com", firstName: "Jo", lastName: "Rivera",
                                                createdAt: "", updatedAt: ""))

            let click = try await harness.get("/recommend/p-1002", user: nil, cookie: session)
            if click.status == 302, let location = click.header("location"), let plan = URLComponents(string: location)?.path {
                let page = try await harness.fullscript.execute("GET \(plan) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(!page.text.contains("value=\"\(jordan)\" selected"), "Jo's click opened a draft preselecting Jordan")
            }
            #expect(try await harness.mapping(of: "p-1002") == nil)
        }
    }

    /// A plan webhook for a Fullscript patient we have not met, with no `metadata.id`: two live EHR patients
    /// share its email (a family), neither linked. The matcher takes the first by EHR id, so Ada becomes
    /// Drew's Fullscript patient for good: her later clicks open Drew's record by id, and her EHR changes
    /// are pushed onto Drew's record by the outbox. An email that names several patients names nobody.
    @Test func aWebhookNeverGuessesBetweenEHRPatientsSharingAnEmail() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            try await harness.add(PatientRecord(ehrPatientID: "p-1000", email: "drew.okafor@patient.example", firstName: "Ada", lastName: "Okafor",
                                                createdAt: "", updatedAt: ""))
            try await harness.connect(session: try await harness.signIn())
            // A plan for the seeded pat-1, Drew Okafor.
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            #expect(try await eventually { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            #expect(try await harness.mapping(of: "p-1000") == nil, "Ada is not Drew's Fullscript patient")
            #expect(try await harness.auditActions().filter { $0.hasPrefix("patient_mapping.") } == ["patient_mapping.ambiguous_email:left_unmapped"])
        }
    }

    /// The same guess on the chart's Refresh: Ada's chart searches Fullscript by her email, which is also
    /// Drew's, finds Drew's patient and links Ada to it, so Ada's chart shows Drew's plans from then on.
    @Test func aRefreshNeverLinksAPatientByAnEmailOtherPatientsShare() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            try await harness.add(PatientRecord(ehrPatientID: "p-1000", email: "drew.okafor@patient.example", firstName: "Ada", lastName: "Okafor",
                                                createdAt: "", updatedAt: ""))
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.refreshPlans("p-1000", session: session).status == 200)
            #expect(try await harness.mapping(of: "p-1000") == nil, "Ada is not Drew's Fullscript patient")
            #expect(try await harness.auditActions().filter { $0.hasPrefix("patient_mapping.") } == ["patient_mapping.ambiguous_email:left_unmapped"])
        }
    }

    /// Outside production a click refuses to send Fullscript a patient email outside
    /// `fullscript.patient_email_domains` (here `example.com`), so a sandbox never writes to real people.
    /// The outbox pushes whatever email the EHR sends, past that guard.
    @Test func theOutboxKeepsToThePatientEmailDomainsAsAClickDoes() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await PatientSyncTests.linkedJordan(harness)
            let real = #"{"email":"jordan.rivera@gmail.com","first_name":"Jordan","last_name":"Rivera"}"#
            #expect(try await harness.putPatient("p-1001", body: real, key: key).status == 200)
            #expect(try await eventually { try await PatientSyncTests.status(harness).map { $0 != "pending" } ?? false })
            let sent = await PatientSyncTests.updates(harness, fullscriptID).map { String(decoding: $0.body, as: UTF8.self) }
            #expect(!sent.contains { $0.contains("gmail.com") }, "\(sent)")
        }
    }

    /// Settled as failed is for Fullscript's refusals (a 4xx). A change made while nobody of the practice
    /// is connected (the only practitioner disconnected, or their refresh token died) is settled as
    /// failed at once and never sent, even after they connect again: the EHR's change is lost.
    @Test func aChangeMadeWhileNobodyIsConnectedGoesOutOnceSomeoneConnects() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let fullscriptID = try #require(try await harness.mapping(of: "p-1001"))
            #expect(try await harness.post("/oauth/fullscript/disconnect", user: nil, cookie: session).status == 303)

            #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
            // The outbox has tried while nobody could send (today it settles the change as failed then).
            _ = try await eventually(within: .seconds(2)) {
                guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID) else { return false }
                return patient.fullscriptSync?.error != nil
            }
            try await harness.connect(session: session)
            #expect(try await eventually { try await PatientSyncTests.status(harness) == "synced" },
                    "sent once someone can send it")
            let sent = await PatientSyncTests.updates(harness, fullscriptID).last
            #expect(sent.map { String(decoding: $0.body, as: UTF8.self).contains("jordan.r@example.com") } == true)
        }
    }

    /// A change that cannot even be sent (here: the practice's region has no Fullscript app any more, as
    /// when the operator drops the `ca` app while a Canadian practice has linked patients) throws out of
    /// the push, which writes nothing: the row stays due, and the outbox takes it again at once, in a tight
    /// loop without backoff, never recording why. It must be postponed or settled, with the reason shown.
    @Test func aChangeThatCannotBeSentIsNotRetriedInATightLoopAndSaysWhy() async throws {
        try await withHarness(identity: nil) { harness in
            _ = try await TenantStore(database: harness.application.database).create(id: "maple", name: "Maple Clinic", region: .ca)
            let key = try await TenancyTests.key(harness, "maple-sync", tenant: "maple")
            #expect(try await harness.putPatient("p-1", body: #"{"email":"lee@example.com","first_name":"Lee","last_name":"Tran"}"#,
                                                 key: key).status == 201)
            // Linked while the `ca` app was configured.
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "fs-ca-1", in: "maple", at: Date())

            #expect(try await harness.putPatient("p-1", body: #"{"email":"lee.tran@example.com","first_name":"Lee","last_name":"Tran"}"#,
                                                 key: key).status == 200)
            let recorded = try await eventually(within: .seconds(3)) {
                guard case .found(let patient) = try await harness.application.patients.find("p-1", in: "maple") else { return false }
                return patient.fullscriptSync?.error != nil
            }
            #expect(recorded, "the reason is recorded, and the change waits or is settled")
        }
    }

    /// `/metrics` counts every practice's clicks, Fullscript calls and webhooks. A practice's key sees
    /// only its practice, so the deployment-wide numbers are for the vendor's operator keys.
    @Test func aPracticesKeyCannotReadTheWholeDeploymentsMetrics() async throws {
        try await withHarness(identity: nil) { harness in
            try await TenancyTests.addLakeside(harness)
            let lakeside = try await TenancyTests.key(harness, "lakeside-metrics", tenant: TenancyTests.lakeside)
            let vendor = try await ServiceKeyStore(database: harness.application.database)
                .create(name: "vendor-metrics", tenant: Tenant.defaultID, isOperator: true)
            #expect(try await MetricsRouteTests.scrape(harness, key: lakeside).status == 403)
            #expect(try await MetricsRouteTests.scrape(harness, key: vendor).status == 200)
        }
    }
}
