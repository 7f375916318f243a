import Testing
@testable import Fullscript

struct FullscriptClientPatientsTests {
    @Test func searchEncodesTheQuery() async throws {
        let transport = FakeTransport(.answer(200, #"{"patients": [{"id": "pa-1", "email": "z@example.com"}]}"#))
        let patients = try await Fixture.client(transport).searchPatients(accessToken: "tok", query: "zoë&ng+1@example.com")
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/search/patients?query=zo%C3%AB%26ng%2B1%40example.com")
        #expect(patients == [Patient(id: "pa-1", email: "z@example.com")])
    }

    @Test func findingByEmailTakesOnlyAnExactMatchIgnoringCase() async throws {
        let transport = FakeTransport(
            .answer(200, #"{"patients": [{"id": "pa-1", "email": "jo.smith@example.com"}, {"id": "pa-2", "email": "Jo@Example.com"}]}"#),
            .answer(200, #"{"patients": [{"id": "pa-1", "email": "jo.smith@example.com"}]}"#)
        )
        let client = Fixture.client(transport)
        #expect(try await client.patient(accessToken: "tok", email: "jo@example.com")?.id == "pa-2")
        #expect(try await client.patient(accessToken: "tok", email: "jo@example.com") == nil)
    }

    @Test func patientReadsThePatientMember() async throws {
        let transport = FakeTransport(.answer(200, #"{"patient": {"id": "pa-1", "first_name": "Zoë"}}"#))
        #expect(try await Fixture.client(transport).patient(accessToken: "tok", id: "pa-1") == Patient(id: "pa-1", firstName: "Zoë"))
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/patients/pa-1")
    }
}
