import Testing
@testable import Fullscript

struct FullscriptClientClinicTests {
    @Test func practitionersArePaginatedWithEncodedBrackets() async throws {
        let transport = FakeTransport(.answer(200, #"""
            {"practitioners": [{"id": "pr-1", "first_name": "Ada", "last_name": "Lee", "email": "ada@example.com"}],
             "meta": {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3, "total_count": 201}}
            """#))
        let page = try await Fixture.client(transport).practitioners(accessToken: "tok", page: 2, pageSize: 500)
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/practitioners?page%5Bnumber%5D=2&page%5Bsize%5D=100")
        #expect(page == Page(items: [Practitioner(id: "pr-1", firstName: "Ada", lastName: "Lee", email: "ada@example.com")],
                             currentPage: 2, nextPage: 3, totalPages: 3, totalCount: 201))
    }

    @Test func allPractitionersFollowsEveryPage() async throws {
        let transport = FakeTransport(
            .answer(200, #"{"practitioners": [{"id": "pr-1", "first_name": "Ada", "last_name": "Lee"}], "meta": {"current_page": 1, "next_page": 2}}"#),
            .answer(200, #"{"practitioners": [{"id": "pr-2", "first_name": "Bo", "last_name": "Kim"}], "meta": {"current_page": 2, "next_page": null}}"#)
        )
        #expect(try await Fixture.client(transport).allPractitioners(accessToken: "tok").map(\.id) == ["pr-1", "pr-2"])
        #expect(transport.sent.map(\.url).last == "https://api-us-snd.fullscript.io/api/clinic/practitioners?page%5Bnumber%5D=2&page%5Bsize%5D=100")
    }

    @Test func practitionerEncodesItsID() async throws {
        let transport = FakeTransport(.answer(200, #"{"practitioner": {"id": "a/b", "first_name": "Ada", "last_name": "Lee"}}"#))
        let practitioner = try await Fixture.client(transport).practitioner(accessToken: "tok", id: "a/b")
        #expect(transport.sent.first?.url == "https://api-us-snd.fullscript.io/api/clinic/practitioners/a%2Fb")
        #expect(practitioner.id == "a/b")
    }

    @Test func clinicReadsTheClinicMember() async throws {
        let transport = FakeTransport(.answer(200, #"{"clinic": {"id": "c-1", "name": "Maple", "patient_count": 3}}"#))
        #expect(try await Fixture.client(transport).clinic(accessToken: "tok") == Clinic(id: "c-1", name: "Maple", patientCount: 3))
    }
}
