import Testing
@testable import Fullscript
import HTTPTypes

/// `PATCH /clinic/patients/{id}` (fullscript-api.md §4).
struct FullscriptClientPatientUpdateTests {
    @Test func patchesOnlyTheGivenFieldsAndClearsWithNull() async throws {
        let transport = FakeTransport(.answer(200, #"{"patient": {"id": "pa-1", "first_name": "Andrew", "metadata": {"id": "p-1001"}}}"#))
        let update = PatientUpdate(firstName: "Andrew", email: "andrew@example.com", dateOfBirth: .set("1979-06-03"), gender: .set("Male"),
                                   mobileNumber: .clear)
        let patient = try await Fixture.client(transport).updatePatient(accessToken: "tok", id: "pa/1", fields: update)
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .patch)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic/patients/pa%2F1")
        #expect(sent.request.headerFields[.contentType] == "application/json")
        #expect(sent.json == Fixture.json(#"""
            {"first_name": "Andrew", "email": "andrew@example.com", "date_of_birth": "1979-06-03", "gender": "male", "mobile_number": null}
            """#))
        #expect(patient == Patient(id: "pa-1", firstName: "Andrew", metadataID: "p-1001"))
    }

    @Test func blankOrMalformedValuesAndEmptyUpdatesAreRefusedBeforeAnyRequest() async {
        let transport = FakeTransport()
        let client = Fixture.client(transport)
        await #expect(throws: FullscriptError(.validation([
            "First name must not be blank", "Email must not be blank", "Date of birth must be yyyy-mm-dd",
            "Mobile number must be in international format, like +12223334444",
        ]))) {
            try await client.updatePatient(accessToken: "tok", id: "pa-1",
                                           fields: PatientUpdate(firstName: " ", email: "", dateOfBirth: .set("1979"), mobileNumber: .set("555")))
        }
        await #expect(throws: FullscriptError(.validation(["Nothing to update"]))) {
            try await client.updatePatient(accessToken: "tok", id: "pa-1", fields: PatientUpdate())
        }
        #expect(transport.sent.isEmpty)
    }

    /// Another clinic's patient is a 404 for this token: `.notFound`, as for an unknown one.
    @Test func fullscriptsAnswersMapToTypedErrors() async {
        let transport = FakeTransport(
            .answer(404, #"{"error": "Record not found"}"#),
            .answer(422, #"{"error": "[\"Email has already been taken\"]"}"#, headers: ["X-Request-Id": "req-7"])
        )
        let client = Fixture.client(transport)
        await #expect(throws: FullscriptError(.notFound, status: 404)) {
            try await client.updatePatient(accessToken: "tok", id: "pa-other", fields: PatientUpdate(lastName: "Ng"))
        }
        await #expect(throws: FullscriptError(.validation(["Email has already been taken"]), status: 422, requestID: "req-7")) {
            try await client.updatePatient(accessToken: "tok", id: "pa-1", fields: PatientUpdate(email: "taken@example.com"))
        }
    }
}
