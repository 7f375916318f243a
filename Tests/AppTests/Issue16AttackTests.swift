@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// An attacker's reading of issue 16's new surface (plan actions, orders, the FHIR statements, the
/// catalog): each test is a hole found, asserted as what the user or the EHR should see.
struct Issue16AttackTests {
    /// The simulator's seeded patient pat-2, as our EHR knows them.
    static let jesse = PatientRecord(ehrPatientID: "p-1002", email: "jesse.lindqvist@patient.example", firstName: "Jesse",
                                     lastName: "Lindqvist", createdAt: "", updatedAt: "")

    /// A practitioner types a frequency whose count no FHIR `positiveInt` holds (at most 2,147,483,647):
    /// the statement must keep the words and state no timing, not a number an EHR's validator refuses,
    /// which would lose the patient's whole medication list.
    @Test func aFrequencyBeyondWhatFHIRHoldsIsKeptAsWordsOnly() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            let patient = try #require(try await harness.mapping(of: "p-1001"))
            try await harness.activate(planID, patient: patient, with: ["variant_ids": "variant-1001,variant-1002",
                          "dosage.variant-1001.amount": "1 capsule", "dosage.variant-1001.frequency": "99999999999 times a day",
                          "dosage.variant-1002.amount": "1 capsule", "dosage.variant-1002.frequency": "every 99999999999 days"])
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)

            let response = try await MedicationStatementTests.statements(harness, key: try await MedicationStatementTests.key(harness))
            #expect(!response.text.contains("e+"), "no count or period in exponent notation: \(response.text)")
            let statements = try MedicationStatementTests.resources(response)
            #expect(statements.count == 2)
            for statement in statements {
                let dosage = try #require(MedicationStatementTests.path(statement, "dosage", 0) as? [String: Any])
                #expect((dosage["text"] as? String)?.contains("99999999999") == true, "the words are kept")
                #expect(MedicationStatementTests.path(dosage, "timing", "repeat", "frequency") == nil)
                #expect(MedicationStatementTests.path(dosage, "timing", "repeat", "period") == nil)
            }
        }
    }

    /// A dosage typed with control characters (a paste from another program) must not put them in a
    /// FHIR string, which may hold none below U+0020 but tab, CR and LF: a strict EHR refuses the bundle.
    @Test func controlCharactersInADosageNeverReachAFHIRString() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            let patient = try #require(try await harness.mapping(of: "p-1001"))
            try await harness.activate(planID, patient: patient, with: ["variant_ids": "variant-1001",
                          "dosage.variant-1001.amount": "1\u{1}capsule\u{7}", "dosage.variant-1001.frequency": "twice\u{2} a day\u{1B}[2J",
                          "dosage.variant-1001.time_of_day": "bed\u{8}time"])
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)

            let response = try await MedicationStatementTests.statements(harness, key: try await MedicationStatementTests.key(harness))
            #expect(response.status == 200)
            let statements = try MedicationStatementTests.resources(response)
            let text = try #require(MedicationStatementTests.path(statements.first, "dosage", 0, "text") as? String)
            #expect(text.contains("twice"), "the words are kept: \(text.debugDescription)")
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && !["\t", "\n", "\r"].contains($0) }, "\(text.debugDescription)")
        }
    }

    /// An order of one patient that names another patient's plan (a confused or hostile Fullscript
    /// payload, signed all the same) must not make that other patient's chart say the plan was ordered.
    @Test func anOrderOfOnePatientDoesNotCountOnAnotherPatientsPlan() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(WebhookProcessorTests.drew)
            try await harness.add(Self.jesse)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            #expect(try await harness.deliver(PlanEvent.body("ev-p1", plan: PlanEvent.plan("tp-1", patient: "pat-1"))).status == 200)
            #expect(try await harness.deliver(PlanEvent.body("ev-p2", plan: PlanEvent.plan("tp-2", patient: "pat-2"))).status == 200)
            let order = OrderEvent.order(plans: ["tp-1", "tp-2"], patient: "pat-1")
            #expect(try await harness.deliver(OrderEvent.body("ev-o1", type: "order.placed", member: "order", order)).status == 200)
            try await harness.deliverBarrier()

            let drews = try await harness.chartList(session: session)
            #expect(OrdersTests.plans(drews).first?["ordered_count"] as? Int == 1)
            let response = try await harness.get("/ehr/api/patients/p-1002/treatment-plans", user: nil, cookie: session)
            #expect(response.status == 200)
            let jesses = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            let plan = try #require(OrdersTests.plans(jesses).first)
            #expect(plan["id"] as? String == "tp-2")
            #expect(plan["ordered_count"] as? Int == 0, "Jesse never ordered: \(plan)")
            #expect(plan["last_ordered_at"] == nil)
            #expect(OrdersTests.orders(jesses).isEmpty)
        }
    }
}
