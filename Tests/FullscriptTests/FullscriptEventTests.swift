import Foundation
import Testing
@testable import Fullscript

struct FullscriptEventTests {
    static let event = #"""
        {"id":"ev-1","type":"treatment_plan.created","created_at":"2024-05-01T10:00:01.000Z","clinic_id":"clinic-1",
         "data":{"treatment_plan":{"id":42,"state":"active","created_at":"2024-05-01T09:00:00Z","updated_at":1714557600,
                                   "patient":{"id":"pat-1"},"practitioner_id":"prac-1","recommendations":[{"variant_id":"v-1"}]}}}
        """#

    @Test func readsBothEnvelopeShapes() throws {
        let wrapped = try FullscriptEvent(webhookBody: Array(#"{"event_payload":{"event":\#(Self.event)}}"#.utf8))
        let bare = try FullscriptEvent(webhookBody: Array(#"{"event":\#(Self.event)}"#.utf8))
        #expect(wrapped == bare)
        #expect(wrapped.id == "ev-1" && wrapped.type == "treatment_plan.created")
        #expect(wrapped.createdAt == "2024-05-01T10:00:01.000Z" && wrapped.clinicID == "clinic-1")
    }

    @Test(arguments: [
        #"{"event":{"type":"treatment_plan.created"}}"#, #"{"event":{"id":"ev-1"}}"#, #"{"event":{"id":"","type":"x"}}"#,
        #"{"event_payload":{}}"#, #"{"events":[]}"#, "[]", "not json", "",
    ])
    func refusesWhatIsNotAnEvent(body: String) {
        #expect(throws: FullscriptEventError.self) { try FullscriptEvent(webhookBody: Array(body.utf8)) }
    }

    @Test func errorsNameThePlaceNotTheValues() {
        let error = #expect(throws: FullscriptEventError.self) {
            try FullscriptEvent(webhookBody: Array(#"{"event":{"id":"ev-1","type":{"secret":"jordan@example.com"}}}"#.utf8))
        }
        #expect(error?.description.contains("event.type") == true)
        #expect(error?.description.contains("jordan") == false)
    }

    @Test func thePlanIsDecodedLikeTheRESTOne() throws {
        let plan = try FullscriptEvent(webhookBody: Array(#"{"event":\#(Self.event)}"#.utf8)).treatmentPlan()
        #expect(plan.id == "42")
        #expect(plan.state == .active)
        #expect(plan.updatedAt == Date(timeIntervalSince1970: 1_714_557_600))
        #expect(plan.patientID == "pat-1" && plan.practitionerID == "prac-1")
        #expect(plan.recommendations.map(\.variantID) == ["v-1"])
    }

    @Test func aPlanEventWithoutAPlanSaysSo() {
        let event = FullscriptEvent(id: "ev-1", type: "treatment_plan.created", data: .object(["order": .null]))
        #expect(throws: FullscriptEventError(reason: "data: missing treatment_plan")) { try event.treatmentPlan() }
        let broken = FullscriptEvent(id: "ev-2", type: "treatment_plan.created", data: .object(["treatment_plan": .object(["id": .string("tp")])]))
        let error = #expect(throws: FullscriptEventError.self) { try broken.treatmentPlan() }
        #expect(error?.reason.hasPrefix("data.treatment_plan.") == true)
    }

    @Test func encodesToWhatItReads() throws {
        let event = try FullscriptEvent(webhookBody: Array(#"{"event":\#(Self.event)}"#.utf8))
        let again = try FullscriptEvent(webhookBody: Array(try JSONEncoder().encode(["event": event])))
        #expect(again == event)
        #expect(try again.treatmentPlan() == event.treatmentPlan())
    }

    /// Several clinics share one webhook URL: `clinic_id` is what routes an event to its tenant.
    @Test func aPatientEventCarriesItsClinicAndPatient() throws {
        let event = try FullscriptEvent(webhookBody: Array(#"""
            {"event_payload": {"event": {"id": "ev-9", "type": "patient.updated", "clinic_id": "clinic-2",
             "data": {"patient": {"id": "pa-4", "last_name": "Haddad-Berg", "email": null, "metadata": {"id": "p-2001"}}}}}}
            """#.utf8))
        #expect(event.clinicID == "clinic-2")
        #expect(try event.patient() == Patient(id: "pa-4", lastName: "Haddad-Berg", metadataID: "p-2001"))
        #expect(throws: FullscriptEventError(reason: "data: missing patient")) {
            try FullscriptEvent(id: "ev-1", type: "patient.updated").patient()
        }
    }
}
