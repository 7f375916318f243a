import Foundation
@testable import FullscriptSandbox
import ServerTesting
import Testing

/// The gateway link (fullscript-api.md §3.2, §12): match by `patient.id`, else `external_id`
/// (`metadata.id`), else email, else the practitioner matches by hand on the plan page.
struct GatewayLinkRoutesTests {
    let path = "/api/clinic/dynamic_links/gateway/treatment_plans"

    func link(_ sandbox: Harness, token: String, _ body: String) async throws -> JSON {
        let response = try await sandbox.send("POST", path, body: body, token: token)
        #expect(response.status == 200, "\(response.text)")
        return try #require(sandbox.json(response)["dynamic_links"])
    }

    func planPath(_ links: JSON) throws -> String {
        let url = try #require(links["redirect_url"]?.text)
        return try #require(URLComponents(string: url)?.path)
    }

    @Test func theIDWinsOverExternalIDAndEmail() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            _ = try await sandbox.send("POST", "/api/clinic/patients", body: """
                {"email":"kit@patient.example","first_name":"Kit","last_name":"Vale","send_welcome_email":"false","metadata":{"id":"ehr-7"}}
                """, token: token)
            let byID = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"id":"pat-2","external_id":"ehr-7","email":"drew.okafor@patient.example","first_name":"J","last_name":"L"}}
                """)
            #expect(byID["patient_id"]?.text == "pat-2")
            let byExternalID = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"external_id":"ehr-7","email":"drew.okafor@patient.example","first_name":"K","last_name":"V"}}
                """)
            #expect(byExternalID["patient_id"]?.text == "pat-3")
            let byEmail = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"external_id":"ehr-unknown","email":"Drew.Okafor@patient.example","first_name":"D","last_name":"O"}}
                """)
            #expect(byEmail["patient_id"]?.text == "pat-1")
            let page = try await sandbox.send("GET", try planPath(byEmail))
            #expect(page.text.contains(#"<option value="pat-1" selected>"#), "the match is preselected")
            #expect(await sandbox.sandbox.recordedEmails().isEmpty)
        }
    }

    /// Another clinic's Fullscript id is no match: matching goes on by external_id and email in this clinic.
    @Test func anotherClinicsPatientIDDoesNotMatch() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let links = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"id":"pat-101","email":"jesse.lindqvist@patient.example","first_name":"N","last_name":"H"}}
                """)
            #expect(links["patient_id"]?.text == "pat-2")
        }
    }

    /// A dependent: names and the EHR id, no email. The draft link refuses this; the gateway sends the
    /// practitioner to the matching page, which creates the patient with `metadata.id` = external_id.
    @Test func anUnmatchedDependentIsCreatedOnTheMatchingPage() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let links = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"external_id":"ehr-child-1","first_name":"Pip","last_name":"Okafor","date_of_birth":"2019-04-01"},"entrypoint":"catalog"}
                """)
            if case .null? = links["patient_id"] {} else { Issue.record("no patient is named before the match") }
            let planPath = try planPath(links)
            let matching = try await sandbox.send("GET", planPath)
            #expect(matching.text.contains("Match the patient"))
            #expect(matching.text.contains("<dd>Pip Okafor</dd>") && matching.text.contains("<dd>ehr-child-1</dd>"))
            #expect(matching.text.contains(#"<option value="pat-1">Drew Okafor &lt;drew.okafor@patient.example&gt;</option>"#))
            #expect(!matching.text.contains("name=\"practitioner_id\""), "the link named the practitioner")

            let matched = try await sandbox.send("POST", planPath + "/match", body: "patient_id=", contentType: "application/x-www-form-urlencoded")
            #expect(matched.status == 303 && matched.header("location") == planPath)
            let resubmitted = try await sandbox.send("POST", planPath + "/match", body: "patient_id=", contentType: "application/x-www-form-urlencoded")
            #expect(resubmitted.status == 303, "a second submit lands on the plan")
            #expect(try await sandbox.send("GET", "/api/clinic/patients/pat-4", token: token).status == 404, "and creates nobody")
            let plan = try await sandbox.send("GET", planPath)
            #expect(plan.text.contains(#"<option value="pat-3" selected>Pip Okafor (no email)</option>"#))
            let created = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-3", token: token))["patient"]
            #expect(created?["metadata"]?["id"]?.text == "ehr-child-1")
            #expect(created?["date_of_birth"]?.text == "2019-04-01")
            if case .null? = created?["email"] {} else { Issue.record("a dependent has no email") }
            #expect(await sandbox.sandbox.recordedEmails().isEmpty)

            let again = try await link(sandbox, token: token, """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"external_id":"ehr-child-1","first_name":"Pip","last_name":"Okafor"}}
                """)
            #expect(again["patient_id"]?.text == "pat-3", "the next click matches by external_id")
        }
    }

    @Test func theMatchingPageCanPickAnExistingPatientAndThePractitioner() async throws {
        try await withSandbox { sandbox in
            let staff = try await sandbox.accessToken("staff-1")
            let links = try await link(sandbox, token: staff, #"{"patient":{"external_id":"ehr-9","first_name":"Jess","last_name":"Lindqvist"}}"#)
            let planPath = try planPath(links)
            let matching = try await sandbox.send("GET", planPath)
            #expect(matching.text.contains(#"<option value="prac-2">Morgan Lee</option>"#))
            #expect(!matching.text.contains("prac-4"))
            let form = "application/x-www-form-urlencoded"
            #expect(try await sandbox.send("POST", planPath + "/match", body: "patient_id=pat-2&practitioner_id=prac-4", contentType: form).status == 422)
            #expect(try await sandbox.send("POST", planPath + "/match", body: "patient_id=pat-101&practitioner_id=prac-2", contentType: form).status == 404)
            #expect(try await sandbox.send("POST", planPath + "/match", body: "patient_id=pat-2&practitioner_id=prac-2", contentType: form).status == 303)
            let plan = try await sandbox.send("GET", planPath)
            #expect(plan.text.contains("Practitioner: Morgan Lee"))
            #expect(plan.text.contains(#"<option value="pat-2" selected>"#))
            let patients = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients", token: staff))["patients"]?.array
            #expect(patients?.count == 2, "picking creates nobody")
        }
    }

    @Test func refusalsAre400s() async throws {
        try await withSandbox { sandbox in
            let practitioner = try await sandbox.accessToken("prac-1")
            func refusal(_ body: String) async throws -> String? {
                let response = try await sandbox.send("POST", path, body: body, token: practitioner)
                #expect(response.status == 400)
                return try sandbox.json(response)["error"]?.text
            }
            #expect(try await refusal("[]") == "The request body must be a JSON object")
            #expect(try await refusal(#"{"treatment_plan":{"practitioner_id":"prac-2"}}"#) == #"["Practitioner must be the authenticated practitioner"]"#)
            #expect(try await refusal(#"{"treatment_plan":{"practitioner_id":"prac-4"}}"#) == #"["Practitioner is invalid"]"#)
            #expect(try await refusal(#"{"entrypoint":"pharmacy"}"#) == #"["Entrypoint is not included in the list"]"#)
            #expect(try await refusal(#"{"patient":{"first_name":"A","last_name":"B","email":"nope","gender":"other","mobile_number":"555"}}"#)
                    == #"["Email is invalid", "Gender is not included in the list", "Mobile number is invalid"]"#)
        }
    }

    /// A practitioner who names nobody drafts as themself; the plan page then offers the clinic's patients.
    @Test func aBareLinkDraftsForThePractitioner() async throws {
        try await withSandbox { sandbox in
            let links = try await link(sandbox, token: try await sandbox.accessToken("prac-3"), "{}")
            let page = try await sandbox.send("GET", try planPath(links))
            #expect(page.text.contains("Practitioner: Riley Chen") && page.text.contains("New patient (below)"))
        }
    }

    @Test func faultsApplyPerPathAndRequestsAreRecorded() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            await sandbox.sandbox.setFaults([.status(503)], pathPrefix: path)
            #expect(try await sandbox.send("POST", path, body: "{}", token: token).status == 503)
            #expect(try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans",
                                           body: #"{"treatment_plan":{"practitioner_id":"prac-1"}}"#, token: token).status == 200)
            #expect(await sandbox.sandbox.recordedRequests().filter { $0.path == path }.count == 1)
        }
    }

    /// The draft link keeps `metadata.id` when given, and still refuses names without an email.
    @Test func theDraftLinkKeepsMetadataAndStillNeedsAnEmail() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let draft = "/api/clinic/dynamic_links/treatment_plans"
            let refused = try await sandbox.send("POST", draft, body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"first_name":"Pip","last_name":"Okafor","metadata":{"id":"ehr-3"}}}
                """, token: token)
            #expect(refused.status == 422)
            let created = try await sandbox.send("POST", draft, body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"pip@patient.example","first_name":"Pip","last_name":"Okafor","send_welcome_email":"false","metadata":{"id":"ehr-3"}}}
                """, token: token)
            let patientID = try #require(sandbox.json(created)["dynamic_links"]?["patient_id"]?.text)
            let patient = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/\(patientID)", token: token))["patient"]
            #expect(patient?["metadata"]?["id"]?.text == "ehr-3")
        }
    }
}
