import Foundation
import Testing
@testable import Fullscript

struct DraftTreatmentPlanLinkRequestTests {
    func bodyJSON(_ request: DraftTreatmentPlanLinkRequest) throws -> JSONValue? {
        Fixture.json(String(decoding: request.body.json.bytes, as: UTF8.self))
    }

    @Test func withoutPatientSendsOnlyThePlanAndEntrypoint() throws {
        let request = DraftTreatmentPlanLinkRequest(practitionerID: "pr-1", entrypoint: .labs)
        #expect(try bodyJSON(request) == Fixture.json(#"{"treatment_plan": {"practitioner_id": "pr-1"}, "entrypoint": "labs"}"#))
        #expect(try bodyJSON(DraftTreatmentPlanLinkRequest(practitionerID: "pr-1", patient: PatientDetails(email: "")))
            == Fixture.json(#"{"treatment_plan": {"practitioner_id": "pr-1"}, "entrypoint": "catalog"}"#))
    }

    @Test func welcomeEmailIsAStringAndOffByDefault() throws {
        let request = DraftTreatmentPlanLinkRequest(practitionerID: "pr-1", patient: PatientDetails(email: "z@example.com"))
        #expect(try bodyJSON(request) == Fixture.json(#"""
            {"treatment_plan": {"practitioner_id": "pr-1"}, "patient": {"email": "z@example.com", "send_welcome_email": "false"},
             "entrypoint": "catalog"}
            """#))
    }

    @Test func validateCollectsEveryProblem() {
        let request = DraftTreatmentPlanLinkRequest(practitionerID: "", patient: PatientDetails(email: "", firstName: "Zoë"))
        #expect(throws: FullscriptError(.validation(["Practitioner is required", "Email is required when patient details are given"]))) {
            try request.validate()
        }
        #expect(throws: Never.self) { try DraftTreatmentPlanLinkRequest(practitionerID: "pr-1").validate() }
    }
}
