import Foundation
import Testing
@testable import Fullscript

struct TreatmentPlanTests {
    static let body = #"""
        {"id": "tp-1", "state": "active", "created_at": "2024-03-01T10:00:00.000Z", "updated_at": "2024-03-02T10:00:00Z",
         "personal_message": "Take with food", "invitation_url": "https://us-snd.fullscript.io/i/abc", "available_at": null,
         "patient_id": "pa-1", "practitioner": {"id": "pr-1"}, "resources": [], "lab_recommendations": [],
         "recommendations": [{"variant_id": 991, "refill": true, "units_to_purchase": 2, "take_with": "water",
           "dosage": {"amount": "1", "frequency": "daily", "duration": "30 days", "format": "capsule",
                      "additional_info": null, "time_of_day": ["morning"]}}, {"variant_id": "v-2"}]}
        """#

    @Test func readsTheDocumentedFields() throws {
        let plan = try JSONDecoder().decode(TreatmentPlan.self, from: Data(Self.body.utf8))
        #expect(plan == TreatmentPlan(
            id: "tp-1", state: .active, createdAt: Fixture.date("2024-03-01T10:00:00Z"), updatedAt: Fixture.date("2024-03-02T10:00:00Z"),
            personalMessage: "Take with food", invitationURL: "https://us-snd.fullscript.io/i/abc", patientID: "pa-1", practitionerID: "pr-1",
            recommendations: [
                Recommendation(variantID: "991", refill: true, unitsToPurchase: 2, takeWith: "water",
                               dosage: Dosage(amount: "1", frequency: "daily", duration: "30 days", format: "capsule", timeOfDay: ["morning"])),
                Recommendation(variantID: "v-2"),
            ]))
    }

    @Test func roundTripsThroughItsOwnCoding() throws {
        let plan = try JSONDecoder().decode(TreatmentPlan.self, from: Data(Self.body.utf8))
        #expect(try JSONDecoder().decode(TreatmentPlan.self, from: JSONEncoder().encode(plan)) == plan)
    }

    @Test(arguments: [("draft", TreatmentPlan.State.draft), ("ACTIVE", .active), ("canceled", .cancelled), ("archived", .other("archived"))])
    func keepsUnknownStates(_ text: String, _ state: TreatmentPlan.State) throws {
        let plan = try JSONDecoder().decode(TreatmentPlan.self, from: Data(#"""
            {"id": "tp-2", "state": "\#(text)", "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-01T10:00:00Z"}
            """#.utf8))
        #expect(plan.state == state)
        #expect(plan.recommendations.isEmpty)
        #expect(plan.patientID == nil)
    }
}
