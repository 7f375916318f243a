@testable import FullscriptSandbox
import Testing
import ServerTesting

struct ClinicRoutesTests {
    @Test func clinicAnswersItsSeededIdentity() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let clinic = try await sandbox.json(sandbox.send("GET", "/api/clinic", token: token))["clinic"]
            #expect(clinic?["id"]?.text == sandbox.sandbox.clinicID)
            #expect(clinic?["practitioner_count"]?.text == "3")
        }
    }

    @Test func practitionersArePaginatedWithMeta() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("staff-1")
            let first = try await sandbox.send("GET", "/api/clinic/practitioners?page%5Bnumber%5D=1&page%5Bsize%5D=2", token: token)
            #expect(first.text.hasSuffix(#""meta":{"current_page":1,"next_page":2,"prev_page":null,"total_pages":2,"total_count":3}}"#))
            #expect(try sandbox.json(first)["practitioners"]?.array.map { $0["id"]?.text } == ["prac-1", "prac-2"])
            let last = try await sandbox.json(sandbox.send("GET", "/api/clinic/practitioners?page[number]=2&page[size]=2", token: token))
            #expect(last["practitioners"]?.array.map { $0["id"]?.text } == ["prac-3"])
            #expect(last["meta"]?["next_page"]?.text == nil)
            #expect(last["meta"]?["prev_page"]?.text == "1")
            let capped = try await sandbox.json(sandbox.send("GET", "/api/clinic/practitioners?page[size]=500", token: token))
            #expect(capped["meta"]?["total_pages"]?.text == "1")
        }
    }

    @Test func practitionerByID() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("staff-1")
            let found = try await sandbox.json(sandbox.send("GET", "/api/clinic/practitioners/prac-2", token: token))
            #expect(found["practitioner"]?["last_name"]?.text == "Lee")
            #expect(try await sandbox.send("GET", "/api/clinic/practitioners/staff-1", token: token).status == 404)
        }
    }
}
