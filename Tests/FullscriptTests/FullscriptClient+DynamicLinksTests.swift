import Testing
@testable import Fullscript
import HTTPTypes

struct FullscriptClientDynamicLinksTests {
    @Test func draftLinkPostsTheDocumentedBody() async throws {
        let transport = FakeTransport(.answer(200, #"{"dynamic_links": {"redirect_url": "https://us-snd.fullscript.io/r/1", "patient_id": "pa-9"}}"#))
        let request = DraftTreatmentPlanLinkRequest(
            practitionerID: "pr-1",
            patient: PatientDetails(email: "z@example.com", firstName: "Zoë", lastName: "Ng", dateOfBirth: "1980-02-29", gender: "x",
                                    mobileNumber: "+12223334444", discount: 0),
            sendWelcomeEmail: true)
        let link = try await Fixture.client(transport).draftTreatmentPlanLink(accessToken: "tok", request)
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .post)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic/dynamic_links/treatment_plans")
        #expect(sent.request.headerFields[.contentType] == "application/json")
        #expect(sent.request.headerFields[.authorization] == "Bearer tok")
        #expect(sent.json == Fixture.json(#"""
            {"treatment_plan": {"practitioner_id": "pr-1"},
             "patient": {"email": "z@example.com", "first_name": "Zoë", "last_name": "Ng", "date_of_birth": "1980-02-29", "gender": "x",
                         "mobile_number": "+12223334444", "discount": "0", "send_welcome_email": "true"},
             "entrypoint": "catalog"}
            """#))
        #expect(link == DynamicLink(redirectURL: "https://us-snd.fullscript.io/r/1", patientID: "pa-9"))
    }

    @Test func aNameWithoutEmailIsRefusedBeforeAnyRequest() async {
        let transport = FakeTransport()
        let request = DraftTreatmentPlanLinkRequest(practitionerID: "pr-1", patient: PatientDetails(email: "", lastName: "Ng"))
        await #expect(throws: FullscriptError(.validation(["Email is required when patient details are given"]))) {
            try await Fixture.client(transport).draftTreatmentPlanLink(accessToken: "tok", request)
        }
        #expect(transport.sent.isEmpty)
    }

    @Test func fullscriptsOwn422MessagesComeThrough() async {
        let transport = FakeTransport(.answer(422, #"{"error": "[\"Email is invalid\"]"}"#, headers: ["X-Request-Id": "req-5"]))
        let request = DraftTreatmentPlanLinkRequest(practitionerID: "pr-1", patient: PatientDetails(email: "nope"))
        await #expect(throws: FullscriptError(.validation(["Email is invalid"]), status: 422, requestID: "req-5")) {
            try await Fixture.client(transport).draftTreatmentPlanLink(accessToken: "tok", request)
        }
    }

    @Test func newLinkIsAGetWithOptionalEntrypoint() async throws {
        let transport = FakeTransport(.answer(200, #"{"redirect_url": "https://us-snd.fullscript.io/new"}"#), .answer(200, #"{"redirect_url": "https://us-snd.fullscript.io/labs"}"#))
        let client = Fixture.client(transport)
        #expect(try await client.newTreatmentPlanLink(accessToken: "tok") == DynamicLink(redirectURL: "https://us-snd.fullscript.io/new"))
        #expect(try await client.newTreatmentPlanLink(accessToken: "tok", entrypoint: .labs).redirectURL == "https://us-snd.fullscript.io/labs")
        #expect(transport.sent.map(\.url) == ["https://api-us-snd.fullscript.io/api/clinic/dynamic_links/treatment_plans",
                                              "https://api-us-snd.fullscript.io/api/clinic/dynamic_links/treatment_plans?entrypoint=labs"])
        #expect(transport.sent.allSatisfy { $0.request.method == .get && $0.body == nil })
    }

    @Test func anAnswerWithoutRedirectURLIsMalformed() async {
        await #expect(throws: FullscriptError(.malformedResponse("body: no redirect_url"), status: 200)) {
            try await Fixture.client(FakeTransport(.answer(200, #"{"dynamic_links": {}}"#))).newTreatmentPlanLink(accessToken: "tok")
        }
    }

    /// The EHR id rides along as `patient.metadata.id`, the body's one member that is not a string.
    @Test func theEHRIDIsSentAsMetadata() async throws {
        let transport = FakeTransport(.answer(200, #"{"dynamic_links": {"redirect_url": "https://us-snd.fullscript.io/d/1"}}"#))
        let request = DraftTreatmentPlanLinkRequest(
            practitionerID: "pr-1", patient: PatientDetails(email: "z@example.com", firstName: "Zoë", lastName: "Ng", metadataID: "p-1001"))
        _ = try await Fixture.client(transport).draftTreatmentPlanLink(accessToken: "tok", request)
        #expect(transport.sent.first?.json == Fixture.json(#"""
            {"treatment_plan": {"practitioner_id": "pr-1"},
             "patient": {"email": "z@example.com", "first_name": "Zoë", "last_name": "Ng", "send_welcome_email": "false", "metadata": {"id": "p-1001"}},
             "entrypoint": "catalog"}
            """#))
    }
}
