import Foundation
@testable import FullscriptSandbox
import ServerTesting
import Testing

/// Several clinics in one simulator (fullscript-api.md §6, §12): a token sees its user's clinic alone,
/// and another clinic's records answer 404, never 403.
struct ClinicScopeTests {
    @Test func eachTokenGetsItsOwnClinic() async throws {
        try await withSandbox { sandbox in
            let lakeside = try await sandbox.json(sandbox.send("GET", "/api/clinic", token: sandbox.accessToken("prac-4")))["clinic"]
            #expect(lakeside?["id"]?.text == "clinic-2")
            #expect(lakeside?["name"]?.text == "Lakeside Family Wellness")
            #expect(lakeside?["practitioner_count"]?.text == "2")
            #expect(lakeside?["patient_count"]?.text == "2")
            let sandboxClinic = try await sandbox.json(sandbox.send("GET", "/api/clinic", token: sandbox.accessToken("staff-1")))["clinic"]
            #expect(sandboxClinic?["id"]?.text == "clinic-1")
        }
    }

    @Test func anotherClinicsPatientIsNotFoundForReadingOrUpdating() async throws {
        try await withSandbox { sandbox in
            let clinicA = try await sandbox.accessToken("prac-1")
            let clinicB = try await sandbox.accessToken("prac-4")
            #expect(try await sandbox.send("GET", "/api/clinic/patients/pat-101", token: clinicA).status == 404)
            #expect(try await sandbox.send("GET", "/api/clinic/patients/pat-101/treatment_plans", token: clinicA).status == 404)
            let update = try await sandbox.send("PATCH", "/api/clinic/patients/pat-101", body: #"{"first_name":"Mallory"}"#, token: clinicA)
            #expect(update.status == 404)
            let untouched = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-101", token: clinicB))["patient"]
            #expect(untouched?["first_name"]?.text == "Noor")

            let listed = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients", token: clinicB))["patients"]?.array.map { $0["id"]?.text }
            #expect(listed == ["pat-101", "pat-102"])
            let searched = try await sandbox.json(sandbox.send("GET", "/api/clinic/search/patients?query=patient.example", token: clinicA))["patients"]
            #expect(searched?.array.map { $0["id"]?.text } == ["pat-1", "pat-2"])
        }
    }

    @Test func practitionersAndStaffAreTheClinics() async throws {
        try await withSandbox { sandbox in
            let staff = try await sandbox.accessToken("staff-2")
            let practitioners = try await sandbox.json(sandbox.send("GET", "/api/clinic/practitioners", token: staff))["practitioners"]
            #expect(practitioners?.array.map { $0["id"]?.text } == ["prac-4", "prac-5"])
            #expect(try await sandbox.send("GET", "/api/clinic/practitioners/prac-1", token: staff).status == 404)
            #expect(try await sandbox.send("GET", "/api/clinic/staff/staff-1", token: staff).status == 404)
            #expect(try await sandbox.send("GET", "/api/clinic/staff/staff-2", token: staff).status == 200)
            let draft = try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans",
                                               body: #"{"treatment_plan":{"practitioner_id":"prac-1"}}"#, token: staff)
            #expect(try sandbox.json(draft)["error"]?.text == #"["Practitioner is invalid"]"#)
        }
    }

    /// Patients belong to one clinic (§4): the same email in another clinic is another patient.
    @Test func aDraftLinkMatchesOnlyWithinTheClinic() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-4")
            let response = try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans", body: """
                {"treatment_plan":{"practitioner_id":"prac-4"},"patient":{"email":"drew.okafor@patient.example","first_name":"Drew","last_name":"Okafor","send_welcome_email":"false"}}
                """, token: token)
            let patientID = try #require(sandbox.json(response)["dynamic_links"]?["patient_id"]?.text)
            #expect(patientID != "pat-1")
            #expect(try await sandbox.send("GET", "/api/clinic/patients/\(patientID)", token: sandbox.accessToken("prac-1")).status == 404)
        }
    }

    @Test func plansAndEventsStayInTheirClinic() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let lakeside = try await sandbox.accessToken("prac-4")
            let response = try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans", body: """
                {"treatment_plan":{"practitioner_id":"prac-4"},"patient":{"email":"noor.haddad@patient.example"}}
                """, token: lakeside)
            let url = try #require(sandbox.json(response)["dynamic_links"]?["redirect_url"]?.text)
            let path = try #require(URLComponents(string: url)?.path)
            let page = try await sandbox.send("GET", path)
            #expect(page.text.contains("Clinic: Lakeside Family Wellness"))
            #expect(page.text.contains("Noor Haddad") && !page.text.contains("Drew Okafor"))
            let planID = String(path.split(separator: "/").last ?? "")
            #expect(try await sandbox.send("POST", path + "/activate", body: "patient_id=pat-101",
                                           contentType: "application/x-www-form-urlencoded").status == 303)

            let delivered = try #require(await recorder.deliveries.last)
            #expect(JSON.parse(delivered.body)?["event_payload"]?["event"]?["clinic_id"]?.text == "clinic-2")
            let other = try await sandbox.accessToken("prac-1")
            #expect(try await sandbox.send("GET", "/api/clinic/treatment_plans/\(planID)", token: other).status == 404)
            #expect(try await sandbox.send("GET", "/api/clinic/dynamic_links/treatment_plans/\(planID)", token: other).status == 404)
            #expect(try await sandbox.json(sandbox.send("GET", "/api/events/treatment_plans", token: other))["events"]?.array.isEmpty == true)
            let own = try await sandbox.json(sandbox.send("GET", "/api/events/treatment_plans", token: lakeside))["events"]?.array
            #expect(own?.map { $0["clinic_id"]?.text } == ["clinic-2"])
        }
    }

    /// Fullscript sends a clinic's webhooks only while one of its users holds a token (§7.5).
    @Test func noWebhookForAClinicWithoutAConnectedUser() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let lakeside = try await sandbox.accessToken("prac-4")
            _ = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans",
                                                  body: #"{"treatment_plan":{"practitioner_id":"prac-4"}}"#, token: lakeside)
            let url = try #require(sandbox.json(response)["dynamic_links"]?["redirect_url"]?.text)
            let path = try #require(URLComponents(string: url)?.path)
            await sandbox.sandbox.revokeAllTokens(ofUser: "prac-4")
            #expect(try await sandbox.send("POST", path + "/activate", body: "patient_id=pat-102",
                                           contentType: "application/x-www-form-urlencoded").status == 303)
            #expect(await recorder.deliveries.isEmpty)
        }
    }

    @Test func theConsentPageGroupsTheAccountsByClinic() async throws {
        try await withSandbox { sandbox in
            let page = try await sandbox.send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code")
            let text = page.text
            let lakeside = try #require(text.range(of: "<legend>Lakeside Family Wellness</legend>"))
            let first = try #require(text.range(of: "<legend>Sandbox Integrative Clinic</legend>"))
            let harper = try #require(text.range(of: #"value="prac-4""#))
            let sam = try #require(text.range(of: #"value="staff-1""#))
            #expect(first.lowerBound < sam.lowerBound && sam.lowerBound < lakeside.lowerBound && lakeside.lowerBound < harper.lowerBound)
            let oauth = try await sandbox.connect("staff-2")
            #expect(oauth["resource_owner"]?["type"]?.text == "Staff")
        }
    }
}
