@testable import FullscriptSandbox
import Testing
import ServerTesting

struct DynamicLinkRoutesTests {
    let path = "/api/clinic/dynamic_links/treatment_plans"

    @Test func aNameWithoutEmailIs422() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("POST", path, body: #"{"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"first_name":"Ada"}}"#, token: token)
            #expect(response.status == 422)
            #expect(try sandbox.json(response)["error"]?.text == #"["Last name can't be blank", "Email can't be blank", "Email is invalid"]"#)
        }
    }

    @Test func practitionerIsRequiredAndAPractitionerActsOnlyAsThemself() async throws {
        try await withSandbox { sandbox in
            let practitioner = try await sandbox.accessToken("prac-1")
            let staff = try await sandbox.accessToken("staff-1")
            #expect(try await sandbox.send("POST", path, body: #"{"treatment_plan":{}}"#, token: practitioner).status == 422)
            #expect(try await sandbox.send("POST", path, body: #"{"treatment_plan":{"practitioner_id":"prac-2"}}"#, token: practitioner).status == 422)
            #expect(try await sandbox.send("POST", path, body: #"{"treatment_plan":{"practitioner_id":"staff-1"}}"#, token: staff).status == 422)
            #expect(try await sandbox.send("POST", path, body: #"{"treatment_plan":{"practitioner_id":"prac-2"}}"#, token: staff).status == 200)
        }
    }

    @Test func createsAnUnknownPatientAndRecordsTheWelcomeEmail() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("POST", path, body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"new.person@patient.example","first_name":"New","last_name":"Person"}}
                """, token: token)
            #expect(response.status == 200)
            let links = try #require(sandbox.json(response)["dynamic_links"])
            let patientID = try #require(links["patient_id"]?.text)
            #expect(links["redirect_url"]?.text?.hasPrefix("http://sandbox.test/sandbox/plans/") == true)
            #expect(await sandbox.sandbox.recordedEmails() == [RecordedEmail(to: "new.person@patient.example", patientID: patientID)])
            let patient = try await sandbox.send("GET", "/api/clinic/patients/\(patientID)", token: token)
            #expect(try sandbox.json(patient)["patient"]?["last_name"]?.text == "Person")
        }
    }

    @Test func matchesAnExistingPatientByEmailWithoutEmailing() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("POST", path, body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"Drew.Okafor@patient.example"}}
                """, token: token)
            #expect(try sandbox.json(response)["dynamic_links"]?["patient_id"]?.text == "pat-1")
            let quiet = try await sandbox.send("POST", path, body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"quiet@patient.example","first_name":"Q","last_name":"Uiet","send_welcome_email":"false"}}
                """, token: token)
            #expect(quiet.status == 200)
            #expect(await sandbox.sandbox.recordedEmails().isEmpty)
        }
    }

    @Test func everyClickGetsAFreshURL() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let body = #"{"treatment_plan":{"practitioner_id":"prac-1"}}"#
            let first = try await sandbox.json(sandbox.send("POST", path, body: body, token: token))["dynamic_links"]?["redirect_url"]?.text
            let second = try await sandbox.json(sandbox.send("POST", path, body: body, token: token))["dynamic_links"]?["redirect_url"]?.text
            let generic = try await sandbox.json(sandbox.send("GET", path, token: token))["redirect_url"]?.text
            #expect(first != nil && second != nil && generic != nil)
            #expect(Set([first, second, generic]).count == 3)
        }
    }
}
