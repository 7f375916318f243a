@testable import App
import Foundation
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// Who a patient is in Fullscript: learned once, named by id afterwards, never re-mapped.
struct PatientIdentityTests {
    static func links(_ harness: ConnectedHarness) async -> [(path: String, body: [String: Any])] {
        await harness.sandbox.recordedRequests().filter { $0.method == "POST" && $0.path.contains("/dynamic_links/") }.map {
            ($0.path, (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) ?? [:])
        }
    }

    static func mapping(_ id: String, _ harness: ConnectedHarness) async throws -> String? {
        guard case .found(let record) = try await harness.application.patients.find(id, in: Tenant.defaultID) else { return nil }
        return record.fullscriptPatientID
    }

    @Test func anEmailChangeInTheEHRKeepsTheSameFullscriptPatient() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let first = try #require(try await Self.mapping("p-1001", harness))
            let patientsAfterFirst = await harness.sandbox.patientIDs(inClinic: ConnectedHarness.clinicID)

            let changed = try await harness.putPatient("p-1001", body: #"{"email":"jordan.r@example.com","first_name":"Jordan","last_name":"Rivera"}"#,
                                                       key: key)
            #expect(changed.status == 200)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)

            #expect(try await Self.mapping("p-1001", harness) == first)
            #expect(await harness.sandbox.patientIDs(inClinic: ConnectedHarness.clinicID) == patientsAfterFirst, "no second patient")
            let links = await Self.links(harness)
            #expect(links.map(\.path).map { $0.hasSuffix("/gateway/treatment_plans") } == [false, true])
            let named = try #require(links.last?.body["patient"] as? [String: Any])
            #expect(named["id"] as? String == first && named["external_id"] as? String == "p-1001")
            #expect(named["email"] as? String == "jordan.r@example.com" && named["first_name"] as? String == "Jordan")
        }
    }

    @Test func aPatientWeCreateCarriesTheEHRIdAsMetadata() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let draft = try #require(await Self.links(harness).first)
            let patient = try #require(draft.body["patient"] as? [String: Any])
            #expect((patient["metadata"] as? [String: Any])?["id"] as? String == "p-1001")
        }
    }

    @Test func aDependentGetsTheGatewayLinkWithTheEHRIdAndNames() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.putPatient("p-kid", body: #"{"first_name":"Mia","last_name":"Rivera","date_of_birth":"2019-05-01"}"#,
                                                 key: key).status == 201)
            #expect(try await harness.get("/recommend/p-kid", user: nil, cookie: session).status == 302)
            let links = await Self.links(harness)
            #expect(links.map(\.path).allSatisfy { $0.hasSuffix("/gateway/treatment_plans") } && links.count == 1)
            let named = try #require(links.first?.body["patient"] as? [String: Any])
            #expect(named["external_id"] as? String == "p-kid" && named["first_name"] as? String == "Mia" && named["last_name"] as? String == "Rivera")
            #expect(named["email"] == nil && named["id"] == nil)
            #expect(try await harness.recommendations().map { $0.split(separator: "|")[3] } == ["gateway"], "recorded as the link it used")
        }
    }

    /// The EHR moved Jordan's email to Jo before the outbox told Fullscript, so to us the email is Jo's
    /// alone while Fullscript still holds it on Jordan: Jo's draft link matches Jordan. The click must
    /// not open that plan (it would be Jordan's), nor link Jo to Jordan.
    @Test func aFullscriptPatientMappedToAnotherEHRPatientIsRefusedAndAudited() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let jordan = try #require(try await Self.mapping("p-1001", harness))
            try await harness.add(PatientRecord(ehrPatientID: "p-1002", email: "jordan.rivera@example.com", firstName: "Jo", lastName: "Rivera",
                                                createdAt: "", updatedAt: ""))
            try await Self.moveEmailUnsynced(of: "p-1001", to: "jordan.r@example.com", harness)

            let click = try await harness.get("/recommend/p-1002", user: nil, cookie: session)
            #expect(click.status == 409, "never sent to a plan for Jordan")
            #expect(click.text.contains("Fullscript matched a different patient"))
            #expect(click.text.contains("id=\"try-again\"") && click.text.contains("id=\"request-id\""))

            #expect(try await Self.mapping("p-1001", harness) == jordan)
            #expect(try await Self.mapping("p-1002", harness) == nil, "never mapped to a patient that is someone else's")
            let refusals = try await harness.application.database.read { connection in
                try connection.query("SELECT subject, outcome, detail FROM audit_log WHERE action = 'patient_mapping.remap'") {
                    "\(try $0.string("subject")):\(try $0.string("outcome")):\(try $0.optionalString("detail") ?? "")"
                }
            }
            #expect(refusals == ["p-1002:refused_taken:\(jordan) is mapped to p-1001"])
            #expect(try await harness.recommendations().last?.contains("fullscript_patient_conflict") == true)
        }
    }

    /// Changes a patient's email in our copy only, as if the outbox had not reached Fullscript yet.
    static func moveEmailUnsynced(of id: String, to email: String, _ harness: ConnectedHarness) async throws {
        try await harness.application.database.write { connection in
            _ = try connection.execute("UPDATE patients SET email = ? WHERE ehr_patient_id = ?", [.text(email), .text(id)])
        }
    }

    @Test func aClickNamingAnotherFullscriptPatientNeverOverwritesTheMapping() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            // Mapped before to a Fullscript patient Fullscript no longer finds, with an email that is still
            // Jordan's in Fullscript: the gateway link matches Jordan by email, and the answer names Jordan's patient.
            try await harness.add(PatientRecord(ehrPatientID: "p-2", email: "jordan.rivera@example.com", firstName: "Jo", lastName: "Rivera",
                                                createdAt: "", updatedAt: ""))
            try await Self.moveEmailUnsynced(of: "p-1001", to: "jordan.r@example.com", harness)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-2", fullscriptPatientID: "pat-gone", in: Tenant.defaultID, at: Date())
            #expect(try await harness.get("/recommend/p-2", user: nil, cookie: session).status == 409, "never sent to a plan for Jordan")

            #expect(try await Self.mapping("p-2", harness) == "pat-gone")
            #expect(try await harness.auditActions().filter { $0.hasPrefix("patient_mapping.") } == ["patient_mapping.remap:refused_mapped"])
        }
    }

    @Test func aWebhookNamingAnotherFullscriptPatientIsRefusedAndAudited() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "pat-old", in: Tenant.defaultID, at: Date())
            try await harness.connect(session: try await harness.signIn())
            // A plan for the seeded pat-1, whose email is Drew's: Drew is pat-old to us, and stays so.
            #expect(try await harness.deliver(PlanEvent.body("ev-1")).status == 200)
            // Generous limits: on a loaded machine processing has taken longer than the default 10 s.
            #expect(try await eventually(within: .seconds(30)) { try await harness.webhookEvents() == ["ev-1|treatment_plan.created|processed|1"] })
            #expect(try await harness.mapping(of: "p-1001") == "pat-old")
            #expect(try await eventually(within: .seconds(30)) {
                try await harness.auditActions().filter { $0.hasPrefix("patient_mapping.") } == ["patient_mapping.remap:refused_mapped"]
            })
        }
    }

    /// The whole way for a dependent: the gateway link, Fullscript's matching page creating them with
    /// `metadata.id` = the EHR id, activation's webhook linking them by it, and the next click by id.
    @Test func aDependentCreatedOnFullscriptsPageIsLinkedByTheEHRIdAndNamedByIdAfterwards() async throws {
        try await withHarness(identity: nil, deliverWebhooks: true) { harness in
            try await harness.add(PatientRecord(ehrPatientID: "p-kid", firstName: "Mia", lastName: "Rivera", createdAt: "", updatedAt: ""))
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-kid", user: nil, cookie: session)
            let location = try #require(click.header("location"))
            let plan = try #require(URLComponents(string: location)?.path)
            func post(_ path: String, _ form: String) async throws -> TestResponse {
                try await harness.fullscript.execute("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
            }
            #expect(try await post(plan + "/match", "").status == 303, "no pick: the named patient is created, without an email")
            let dependent = try #require(await harness.sandbox.patientIDs(inClinic: ConnectedHarness.clinicID).last)
            #expect(try await post(plan + "/activate", "patient_id=\(dependent)").status == 303)

            #expect(try await eventually { try await Self.mapping("p-kid", harness) == dependent })
            #expect(try await harness.get("/recommend/p-kid", user: nil, cookie: session).status == 302)
            let named = try #require(await Self.links(harness).last?.body["patient"] as? [String: Any])
            #expect(named["id"] as? String == dependent && named["external_id"] as? String == "p-kid")
        }
    }

    /// Who else holds a patient's email is asked on every click: by an index, not a scan of the practice.
    /// SQLite's plan: PostgreSQL's planner picks by statistics, and the same index is in its baseline.
    @Test(.enabled(if: !TestDatabase.isPostgres), arguments: [
        (PatientStore.livePatientsWithEmail, [DatabaseValue.text("default"), .text("a@example.com")]),
        (PatientStore.anotherLivePatientWithEmail, [.text("default"), .text("p-1001")]),
    ])
    func whoHoldsAnEmailIsFoundByAnIndex(_ query: String, _ values: [DatabaseValue]) async throws {
        try await withHarness(identity: nil) { harness in
            let plan = try await harness.application.database.read { connection in
                try connection.query("EXPLAIN QUERY PLAN " + query, values) {
                    try $0.string("detail")
                }
            }
            #expect(plan.contains { $0.contains("INDEX patients_live_email") }, "\(plan)")
        }
    }
}
