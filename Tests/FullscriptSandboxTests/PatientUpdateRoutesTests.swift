import Foundation
@testable import FullscriptSandbox
import ServerTesting
import Testing

/// `PATCH /api/clinic/patients/{id}` (fullscript-api.md §4) and the `patient.updated` webhook, which
/// only a change made in Fullscript itself fires (§7.5).
struct PatientUpdateRoutesTests {
    @Test func updatesTheGivenFieldsAndAnswersThePatient() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("PATCH", "/api/clinic/patients/pat-1", body: """
                {"first_name":"Andrew","last_name":"Okafor-Hale","email":"andrew@patient.example","date_of_birth":"1979-06-03","mobile_number":"+12223334444","gender":"MALE"}
                """, token: token)
            #expect(response.status == 200)
            let answered = try sandbox.json(response)["patient"]
            let stored = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-1", token: token))["patient"]
            for patient in [answered, stored] {
                #expect(patient?["first_name"]?.text == "Andrew" && patient?["last_name"]?.text == "Okafor-Hale")
                #expect(patient?["email"]?.text == "andrew@patient.example" && patient?["date_of_birth"]?.text == "1979-06-03")
                #expect(patient?["mobile_number"]?.text == "+12223334444" && patient?["gender"]?.text == "male")
            }
            #expect(await recorder.deliveries.isEmpty, "no webhook for the app's own REST change")
            #expect(try await sandbox.json(sandbox.send("GET", "/api/events/patients", token: token))["events"]?.array.isEmpty == true)
        }
    }

    @Test func leftOutFieldsStayAndNullClearsOptionalOnes() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("PATCH", "/api/clinic/patients/pat-1",
                                                  body: #"{"patient":{"date_of_birth":null,"gender":null}}"#, token: token)
            let patient = try sandbox.json(response)["patient"]
            #expect(patient?["first_name"]?.text == "Drew" && patient?["email"]?.text == "drew.okafor@patient.example")
            if case .null? = patient?["date_of_birth"], case .null? = patient?["gender"] {} else { Issue.record("cleared: \(response.text)") }
        }
    }

    @Test func invalidValuesAre422AndChangeNothing() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            func refusal(_ body: String) async throws -> String? {
                let response = try await sandbox.send("PATCH", "/api/clinic/patients/pat-1", body: body, token: token)
                #expect(response.status == 422)
                return try sandbox.json(response)["error"]?.text
            }
            #expect(try await refusal(#"{"first_name":" ","last_name":null,"email":""}"#)
                    == #"["First name can't be blank", "Last name can't be blank", "Email can't be blank"]"#)
            #expect(try await refusal(#"{"email":"nope","gender":"other","date_of_birth":"02/06/1979","mobile_number":"555-1234"}"#)
                    == #"["Email is invalid", "Gender is not included in the list", "Date of birth is invalid", "Mobile number is invalid"]"#)
            #expect(try await refusal(#"{"email":"JESSE.LINDQVIST@patient.example"}"#) == #"["Email has already been taken"]"#)
            let patient = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-1", token: token))["patient"]
            #expect(patient?["first_name"]?.text == "Drew" && patient?["email"]?.text == "drew.okafor@patient.example")
            #expect(try await sandbox.send("PATCH", "/api/clinic/patients/pat-1", body: #"{"email":"Drew.Okafor@patient.example"}"#, token: token).status == 200,
                    "a patient's own email is not taken")
        }
    }

    @Test func unknownPatientsAre404AndBodiesMustBeObjects() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            #expect(try await sandbox.send("PATCH", "/api/clinic/patients/pat-404", body: #"{"first_name":"X"}"#, token: token).status == 404)
            #expect(try await sandbox.send("PATCH", "/api/clinic/patients/pat-1", body: "[1]", token: token).status == 400)
            #expect(try await sandbox.send("PATCH", "/api/clinic/patients/pat-1", body: #"{"first_name":"X"}"#).status == 401)
        }
    }

    /// A practitioner editing the patient in Fullscript: `patient.updated` with the clinic's id and the patient.
    @Test func editingInFullscriptFiresPatientUpdated() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let token = try await sandbox.accessToken("prac-4")
            let page = try await sandbox.send("GET", "/sandbox/patients/pat-101")
            #expect(page.text.contains(#"name="email" type="email" value="noor.haddad@patient.example""#))
            let form = "first_name=Noor&last_name=Haddad-Berg&email=noor.haddad%40patient.example&date_of_birth=1988-11-14&gender=female&mobile_number="
            let saved = try await sandbox.send("POST", "/sandbox/patients/pat-101", body: form, contentType: "application/x-www-form-urlencoded")
            #expect(saved.status == 303)
            let delivery = try #require(await recorder.deliveries.last)
            let event = try #require(JSON.parse(delivery.body)?["event_payload"]?["event"])
            #expect(event["type"]?.text == "patient.updated" && event["clinic_id"]?.text == "clinic-2")
            #expect(event["data"]?["patient"]?["last_name"]?.text == "Haddad-Berg")
            #expect(event["data"]?["patient"]?["id"]?.text == "pat-101")
            let listed = try await sandbox.json(sandbox.send("GET", "/api/events/patients", token: token))["events"]?.array
            #expect(listed?.map { $0["id"]?.text } == [event["id"]?.text])

            _ = try await sandbox.send("POST", "/sandbox/patients/pat-101", body: form, contentType: "application/x-www-form-urlencoded")
            #expect(await recorder.deliveries.count == 2, "saving without a change fires nothing")
            let invalid = try await sandbox.send("POST", "/sandbox/patients/pat-101", body: "email=nope", contentType: "application/x-www-form-urlencoded")
            #expect(invalid.status == 422)
            #expect(try await sandbox.send("GET", "/sandbox/patients/pat-404").status == 404)
        }
    }

    /// A dependent has no email: saving their page with the email left empty changes the rest.
    @Test func aDependentIsEditedWithoutAnEmail() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let response = try await sandbox.send("POST", "/api/clinic/dynamic_links/gateway/treatment_plans",
                                                  body: #"{"patient":{"external_id":"ehr-child","first_name":"Pip","last_name":"Okafor"}}"#, token: token)
            let url = try #require(sandbox.json(response)["dynamic_links"]?["redirect_url"]?.text)
            let planPath = try #require(URLComponents(string: url)?.path)
            let form = "application/x-www-form-urlencoded"
            #expect(try await sandbox.send("POST", planPath + "/match", body: "patient_id=", contentType: form).status == 303)
            let saved = try await sandbox.send("POST", "/sandbox/patients/pat-3", body: "first_name=Pip&last_name=Okafor-Vale&email=", contentType: form)
            #expect(saved.status == 303)
            let patient = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-3", token: token))["patient"]
            #expect(patient?["last_name"]?.text == "Okafor-Vale")
            if case .null? = patient?["email"] {} else { Issue.record("still no email") }
        }
    }
}
