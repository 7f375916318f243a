@testable import FullscriptSandbox
import Testing
import ServerTesting

struct PatientRoutesTests {
    @Test func searchMatchesNamesAndEmailCaseInsensitively() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            func ids(_ query: String) async throws -> [String?] {
                try await sandbox.json(sandbox.send("GET", "/api/clinic/search/patients?query=\(query)", token: token))["patients"]?.array.map { $0["id"]?.text } ?? []
            }
            #expect(try await ids("drew") == ["pat-1"])
            #expect(try await ids("LINDQVIST") == ["pat-2"])
            #expect(try await ids("patient.example").count == 2)
            #expect(try await ids("nobody").isEmpty)
        }
    }

    @Test func patientByIDOr404() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let patient = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-2", token: token))["patient"]
            #expect(patient?["email"]?.text == "jesse.lindqvist@patient.example")
            if case .null? = patient?["date_of_birth"] {} else { Issue.record("date_of_birth should be null") }
            #expect(try await sandbox.send("GET", "/api/clinic/patients/pat-404", token: token).status == 404)
            #expect(try await sandbox.send("GET", "/api/clinic/patients/pat-404/treatment_plans", token: token).status == 404)
        }
    }
}

struct PatientCreationTests {
    @Test func createRequiresNamesAndAnUnusedEmail() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let created = try await sandbox.send("POST", "/api/clinic/patients", body: """
                {"email":"robin@patient.example","first_name":"Robin","last_name":"Hale","gender":"x","date_of_birth":"1990-01-31","send_welcome_email":false,"metadata":{"id":"ehr-42"}}
                """, token: token)
            #expect(created.status == 201)
            let patient = try sandbox.json(created)["patient"]
            #expect(patient?["metadata"]?["id"]?.text == "ehr-42")
            #expect(patient?["date_of_birth"]?.text == "1990-01-31")
            #expect(await sandbox.sandbox.recordedEmails().isEmpty)
            let duplicate = try await sandbox.send("POST", "/api/clinic/patients", body: #"{"email":"ROBIN@patient.example","first_name":"R","last_name":"H"}"#, token: token)
            #expect(duplicate.status == 422)
            #expect(try sandbox.json(duplicate)["error"]?.text == #"["Email has already been taken"]"#)
            let invalid = try await sandbox.send("POST", "/api/clinic/patients", body: #"{"email":"x@patient.example","first_name":"X","last_name":"Y","gender":"other","date_of_birth":"31/01/1990"}"#, token: token)
            #expect(try sandbox.json(invalid)["error"]?.text == #"["Gender is not included in the list", "Date of birth is invalid"]"#)
        }
    }
}
