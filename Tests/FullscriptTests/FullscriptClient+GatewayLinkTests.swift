import Testing
@testable import Fullscript
import HTTPTypes

/// The gateway link (fullscript-api.md §3.2): the body, the answer, and what is refused before any call.
struct FullscriptClientGatewayLinkTests {
    @Test func postsTheDocumentedBodyAndReadsTheLink() async throws {
        let transport = FakeTransport(.answer(200, #"{"dynamic_links": {"redirect_url": "https://us-snd.fullscript.io/g/1", "patient_id": "pa-9"}}"#,
                                              headers: ["X-Request-Id": "req-g"]))
        let request = GatewayTreatmentPlanLinkRequest(
            practitionerID: "pr-1",
            patient: GatewayPatient(id: "pa-9", externalID: "p-1001", email: "z@example.com", firstName: "Zoë", lastName: "Ng",
                                    dateOfBirth: "1980-02-29", gender: "X", mobileNumber: "+12223334444"),
            entrypoint: .labs)
        let link = try await Fixture.client(transport).gatewayTreatmentPlanLink(accessToken: "tok", request)
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .post)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic/dynamic_links/gateway/treatment_plans")
        #expect(sent.request.headerFields[.authorization] == "Bearer tok")
        #expect(sent.json == Fixture.json(#"""
            {"treatment_plan": {"practitioner_id": "pr-1"},
             "patient": {"id": "pa-9", "external_id": "p-1001", "email": "z@example.com", "first_name": "Zoë", "last_name": "Ng",
                         "date_of_birth": "1980-02-29", "gender": "x", "mobile_number": "+12223334444", "send_welcome_email": "false"},
             "entrypoint": "labs"}
            """#))
        #expect(link == DynamicLink(redirectURL: "https://us-snd.fullscript.io/g/1", patientID: "pa-9", requestID: "req-g"))
    }

    /// A dependent: names and the EHR id, no email, no practitioner (matched by hand in Fullscript).
    @Test func aDependentNeedsNoEmailNorPractitioner() async throws {
        let transport = FakeTransport(.answer(200, #"{"dynamic_link": {"redirect_url": "https://us-snd.fullscript.io/g/2"}}"#))
        let request = GatewayTreatmentPlanLinkRequest(
            practitionerID: nil, patient: GatewayPatient(externalID: "p-2001", email: "", firstName: "Pip", lastName: "Okafor"))
        let link = try await Fixture.client(transport).gatewayTreatmentPlanLink(accessToken: "tok", request)
        #expect(transport.sent.first?.json == Fixture.json(#"""
            {"treatment_plan": {}, "patient": {"external_id": "p-2001", "first_name": "Pip", "last_name": "Okafor", "send_welcome_email": "false"},
             "entrypoint": "catalog"}
            """#))
        #expect(link == DynamicLink(redirectURL: "https://us-snd.fullscript.io/g/2"))
    }

    @Test func malformedFieldsAreRefusedBeforeAnyRequest() async {
        let transport = FakeTransport()
        let request = GatewayTreatmentPlanLinkRequest(
            practitionerID: " ", patient: GatewayPatient(firstName: "", lastName: " ", dateOfBirth: "01/02/2003", gender: "other", mobileNumber: "555"))
        await #expect(throws: FullscriptError(.validation([
            "Practitioner must not be blank", "First name is required", "Last name is required", "Gender must be male, female or x",
            "Date of birth must be yyyy-mm-dd", "Mobile number must be in international format, like +12223334444",
        ]))) {
            try await Fixture.client(transport).gatewayTreatmentPlanLink(accessToken: "tok", request)
        }
        #expect(transport.sent.isEmpty)
    }

    /// A linked patient is named exactly by id, so names are not needed (the EHR may have none yet).
    @Test func aPatientNamedByIdNeedsNoNames() async throws {
        let transport = FakeTransport(.answer(200, #"{"dynamic_links": {"redirect_url": "https://us-snd.fullscript.io/g/3", "patient_id": "pat-9"}}"#))
        let request = GatewayTreatmentPlanLinkRequest(practitionerID: "pr-1", patient: GatewayPatient(id: "pat-9", externalID: "p-9", firstName: "", lastName: ""))
        let link = try await Fixture.client(transport).gatewayTreatmentPlanLink(accessToken: "tok", request)
        #expect(link.patientID == "pat-9")
        #expect(transport.sent.first?.json == Fixture.json(#"""
            {"treatment_plan": {"practitioner_id": "pr-1"}, "patient": {"id": "pat-9", "external_id": "p-9", "send_welcome_email": "false"},
             "entrypoint": "catalog"}
            """#))
    }

    @Test func fullscriptsRefusalIsAValidationError() async {
        let transport = FakeTransport(.answer(400, #"{"error": "[\"Practitioner is invalid\"]"}"#))
        let request = GatewayTreatmentPlanLinkRequest(practitionerID: "pr-x", patient: GatewayPatient(firstName: "A", lastName: "B"))
        await #expect(throws: FullscriptError(.validation(["Practitioner is invalid"]), status: 400)) {
            try await Fixture.client(transport).gatewayTreatmentPlanLink(accessToken: "tok", request)
        }
    }
}
