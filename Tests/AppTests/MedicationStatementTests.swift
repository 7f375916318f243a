@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// `GET /api/v1/patients/:id/medication-statements` (issue 16): a patient's plans as a FHIR R4 Bundle of
/// MedicationStatement, for the EHR's medication list. Every resource is also checked by a real FHIR
/// validator in scripts/fhir-test.sh; these pin what the statements say.
struct MedicationStatementTests {
    static func key(_ harness: ConnectedHarness, tenant: String = Tenant.defaultID) async throws -> String {
        try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-medications", tenant: tenant)
    }

    static func statements(_ harness: ConnectedHarness, _ patient: String = "p-1001", key: String, accept: String? = nil) async throws
        -> TestResponse {
        try await harness.request("GET /api/v1/patients/\(patient)/medication-statements",
                                  headers: ["Authorization: Bearer \(key)"] + (accept.map { ["Accept: \($0)"] } ?? []))
    }

    static func resources(_ response: TestResponse) throws -> [[String: Any]] {
        let bundle = try response.json
        #expect(bundle["resourceType"] as? String == "Bundle" && bundle["type"] as? String == "collection")
        return ((bundle["entry"] as? [[String: Any]]) ?? []).compactMap { $0["resource"] as? [String: Any] }
    }

    static func path(_ value: Any?, _ keys: Any...) -> Any? {
        keys.reduce(value) { current, key in
            switch key {
            case let index as Int: return (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil }
            case let name as String: return (current as? [String: Any])?[name]
            default: return nil
            }
        }
    }

    @Test func anActivePlanIsOneStatementPerProductWithNameDosagePractitionerAndPatient() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, planID, _) = try await PlanRoutesTests.activatePlan(on: harness)
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
            let key = try await Self.key(harness)

            let response = try await Self.statements(harness, key: key, accept: "application/fhir+json")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/fhir+json")
            #expect(response.header("cache-control") == "no-store" && response.header("vary") == "Accept")
            let statements = try Self.resources(response)
            #expect(statements.count == 3)
            #expect(statements.compactMap { Self.path($0, "medicationCodeableConcept", "text") as? String } == [
                "Magnesium Glycinate (Pure Encapsulations, capsule)", "Vitamin D3 5,000 IU (Thorne, softgel)", "Omega-3 Fish Oil (Nordic Naturals, softgel)",
            ])
            let first = try #require(statements.first)
            #expect(first["resourceType"] as? String == "MedicationStatement" && first["status"] as? String == "active")
            #expect(Self.path(first, "medicationCodeableConcept", "coding", 0, "system") as? String
                == "https://fullscript-redirect.invalid/fhir/CodeSystem/fullscript-variant")
            #expect(Self.path(first, "medicationCodeableConcept", "coding", 0, "code") as? String == "variant-1001")
            #expect(Self.path(first, "subject", "reference") as? String == "Patient/p-1001")
            #expect(Self.path(first, "informationSource", "display") as? String == "Avery Quinn")
            #expect(Self.path(first, "informationSource", "identifier", "value") as? String == "prac-1")
            #expect(Self.path(first, "identifier", 0, "value") as? String == "\(planID)/variant-1001")

            // The seeded dosing: 1 capsule, twice a day, morning and evening, for 30 days, with food.
            let dosage = try #require(Self.path(first, "dosage", 0) as? [String: Any])
            #expect(dosage["text"] as? String == "1 capsule, twice a day, morning, evening, 30 days, Take with food")
            let repeating = try #require(Self.path(dosage, "timing", "repeat") as? [String: Any])
            #expect(repeating["frequency"] as? Int == 2 && repeating["period"] as? Int == 1 && repeating["periodUnit"] as? String == "d")
            #expect(repeating["when"] as? [String] == ["MORN", "EVE"])
            #expect(Self.path(repeating, "boundsDuration", "value") as? Int == 30 && Self.path(repeating, "boundsDuration", "code") as? String == "d")
            #expect(Self.path(dosage, "doseAndRate", 0, "doseQuantity", "value") as? Int == 1)
            #expect(Self.path(dosage, "doseAndRate", 0, "doseQuantity", "unit") as? String == "capsule")
            #expect(Self.path(dosage, "additionalInstruction", 0, "text") as? String == "Take with food")

            // From the plan's start to the end of its 30 days.
            let start = try #require(Self.path(first, "effectivePeriod", "start") as? String)
            let end = try #require(Self.path(first, "effectivePeriod", "end") as? String)
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            #expect(try style.parse(end).timeIntervalSince(try style.parse(start)) == 30 * 86_400)
            let third = try #require(statements.last)
            #expect(Self.path(third, "dosage", 0, "additionalInstruction", 1, "text") as? String == "Keep refrigerated")
            #expect(Self.path(third, "dosage", 0, "doseAndRate", 0, "doseQuantity", "value") as? Int == 2)

            // Stable: the same ids on every read; plain JSON for a client that does not ask for FHIR's type.
            let again = try await Self.statements(harness, key: key)
            #expect(again.header("content-type") == "application/json")
            #expect(try Self.resources(again).compactMap { $0["id"] as? String } == statements.compactMap { $0["id"] as? String })
            #expect(Set(statements.compactMap { $0["id"] as? String }).count == 3)
        }
    }

    @Test func anotherPracticesKeyFindsNoSuchPatientAndNoKeyIsRefused() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (session, _, _) = try await PlanRoutesTests.activatePlan(on: harness)
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
            try await TenancyTests.addLakeside(harness)
            let lakeside = try await Self.key(harness, tenant: TenancyTests.lakeside)

            let away = try await Self.statements(harness, key: lakeside)
            #expect(away.status == 404)
            #expect(try away.apiError["code"] as? String == "patient_not_found")
            #expect(!away.text.contains("MedicationStatement"))
            let anonymous = try await harness.request("GET /api/v1/patients/p-1001/medication-statements", headers: [])
            #expect(anonymous.status == 401)
            #expect(try await Self.statements(harness, "p!1", key: lakeside).status == 400)
        }
    }

    @Test func aPatientWithoutPlansHasAnEmptyBundleAndADeletedOneIsGone() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let key = try await Self.key(harness)
            let empty = try await Self.statements(harness, key: key)
            #expect(empty.status == 200)
            #expect(try Self.resources(empty).isEmpty)
            // FHIR's JSON has no empty arrays: no `entry` at all.
            #expect(try empty.json["entry"] == nil)
            #expect(try await Self.statements(harness, "p-unknown", key: key).status == 404)

            #expect(try await TenancyTests.service(harness, "DELETE", "/api/v1/patients/p-1001", key: key).status == 204)
            #expect(try await Self.statements(harness, key: key).status == 410)
        }
    }

    @Test func aCancelledPlanIsStoppedWhenItWasCancelledAndADraftIsLeftOut() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "pat-1", in: Tenant.defaultID,
                                                                 at: Date())
            #expect(try await harness.deliver(PlanEvent.body("ev-1", plan: PlanEvent.plan("tp-1"))).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-2", type: "treatment_plan.updated",
                                                             plan: PlanEvent.plan("tp-1", state: "cancelled", updatedAt: "2024-05-03T08:00:00.000Z"))).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-3", plan: PlanEvent.plan("tp-2", state: "draft"))).status == 200)
            try await harness.deliverBarrier()

            let statements = try Self.resources(try await Self.statements(harness, key: try await Self.key(harness)))
            #expect(statements.count == 1)
            let stopped = try #require(statements.first)
            #expect(stopped["status"] as? String == "stopped")
            #expect(Self.path(stopped, "identifier", 0, "value") as? String == "tp-1/v-1")
            #expect(Self.path(stopped, "effectivePeriod", "start") as? String == "2024-05-01T09:00:00.000Z")
            #expect(Self.path(stopped, "effectivePeriod", "end") as? String == "2024-05-03T08:00:00.000Z")
            // This dosage has no duration: its timing is all there is.
            #expect(Self.path(stopped, "dosage", 0, "timing", "repeat", "when") as? [String] == ["MORN"])
            #expect(Self.path(stopped, "dosage", 0, "timing", "repeat", "boundsDuration") == nil)
        }
    }

    @Test func aVariantTwiceInAPlanIsTwoStatementsAndOddPartsAreLeftOut() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "pat-1", in: Tenant.defaultID,
                                                                 at: Date())
            let plan = #"""
                {"id":"tp-9","state":"active","created_at":"2024-05-01T09:00:00.000Z","updated_at":"2024-05-01T10:00:00.000Z",\#
                "patient_id":"pat-1","recommendations":[{"variant_id":"v-1","dosage":{"amount":"1 capsule","frequency":"daily"}},\#
                {"variant_id":"v-1","dosage":{"amount":"2 capsules","frequency":"daily"}},{"variant_id":"v  2"}]}
                """#
            #expect(try await harness.deliver(PlanEvent.body("ev-9", plan: plan)).status == 200)
            try await harness.deliverBarrier()

            let statements = try Self.resources(try await Self.statements(harness, key: try await Self.key(harness)))
            #expect(statements.compactMap { Self.path($0, "identifier", 0, "value") as? String } == ["tp-9/v-1", "tp-9/v-1/2", "tp-9/v  2"])
            #expect(Set(statements.compactMap { $0["id"] as? String }).count == 3)
            let odd = try #require(statements.last)
            #expect(Self.path(odd, "medicationCodeableConcept", "text") as? String == "Fullscript variant v  2")
            #expect(Self.path(odd, "medicationCodeableConcept", "coding") == nil, "no FHIR code has doubled spaces")
            #expect(odd["dosage"] == nil && odd["informationSource"] == nil, "no dosing, no practitioner: nothing invented")
        }
    }

    @Test func aFailingCatalogNamesTheVariantIdAndStillAnswers() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_TIMEOUT_MS": "1500"])) { harness in
            await harness.sandbox.setFaults([.status(503)], pathPrefix: "/api/catalog")
            let (session, _, _) = try await PlanRoutesTests.activatePlan(on: harness)
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)

            let response = try await Self.statements(harness, key: try await Self.key(harness))
            #expect(response.status == 200)
            let statements = try Self.resources(response)
            #expect(statements.compactMap { Self.path($0, "medicationCodeableConcept", "text") as? String } == [
                "Fullscript variant variant-1001", "Fullscript variant variant-1002", "Fullscript variant variant-1003",
            ])
            #expect(Self.path(statements.first, "medicationCodeableConcept", "coding", 0, "code") as? String == "variant-1001")
            #expect(Self.path(statements.first, "medicationCodeableConcept", "coding", 0, "display") == nil)
            #expect(Self.path(statements.first, "informationSource", "display") as? String == "Avery Quinn", "the practitioners did not fail")
        }
    }

    @Test func theDosingWrittenInTheSimulatorIsReadWhereItCanBeAndKeptAsWordsWhereNot() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            let patient = try #require(try await harness.mapping(of: "p-1001"))
            try await harness.activate(planID, patient: patient, with: ["variant_ids": "variant-1001,variant-1002",
                          "dosage.variant-1001.amount": "1-2 capsules", "dosage.variant-1001.frequency": "every 8 hours",
                          "dosage.variant-1001.time_of_day": "bedtime", "dosage.variant-1001.duration": "ongoing",
                          "dosage.variant-1002.amount": "a few", "dosage.variant-1002.frequency": "when tired",
                          "dosage.variant-1002.time_of_day": "morning, after my run"])
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)

            let statements = try Self.resources(try await Self.statements(harness, key: try await Self.key(harness)))
            #expect(statements.count == 2)
            let read = try #require(Self.path(statements.first, "dosage", 0) as? [String: Any])
            #expect(read["text"] as? String == "1-2 capsules, every 8 hours, bedtime, ongoing, Take with food")
            #expect(Self.path(read, "timing", "repeat", "period") as? Int == 8 && Self.path(read, "timing", "repeat", "periodUnit") as? String == "h")
            #expect(Self.path(read, "timing", "repeat", "when") as? [String] == ["HS"])
            #expect(Self.path(read, "doseAndRate", 0, "doseRange", "high", "value") as? Int == 2)
            #expect(Self.path(statements.first, "effectivePeriod", "end") == nil, "ongoing has no end")
            let words = try #require(Self.path(statements.last, "dosage", 0) as? [String: Any])
            #expect(words["text"] as? String == "a few, when tired, morning, after my run, 30 days, Take with food")
            #expect(words["doseAndRate"] == nil && Self.path(words, "timing", "repeat", "when") == nil)
            #expect(Self.path(words, "timing", "repeat", "boundsDuration", "value") as? Int == 30, "the seeded duration is kept")
        }
    }

    @Test func onlyAnAcceptThatAsksForFHIRGetsItsMediaType() {
        #expect(MedicationStatementRoutes.acceptsFHIR("application/fhir+json"))
        #expect(MedicationStatementRoutes.acceptsFHIR("application/json;q=0.5, application/fhir+json"))
        #expect(MedicationStatementRoutes.acceptsFHIR("Application/FHIR+JSON; q=0.9"))
        #expect(!MedicationStatementRoutes.acceptsFHIR("application/fhir+json;q=0"))
        #expect(!MedicationStatementRoutes.acceptsFHIR("application/json"))
        #expect(!MedicationStatementRoutes.acceptsFHIR("*/*"))
        #expect(!MedicationStatementRoutes.acceptsFHIR(nil))
    }
}
