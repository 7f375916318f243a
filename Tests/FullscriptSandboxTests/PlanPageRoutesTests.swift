import Cryptography
import Foundation
@testable import FullscriptSandbox
import Testing
import ServerTesting

struct PlanPageRoutesTests {
    @Test func pageShowsWhoActsAndWhichPatient() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let page = try await sandbox.send("GET", try await sandbox.draftPlanPath(token: token))
            #expect(page.status == 200)
            #expect(page.text.contains("Acting as: Avery Quinn (Practitioner)"))
            #expect(page.text.contains("<option value=\"pat-1\" selected>"))
            #expect(page.text.contains("/activate\""))
        }
    }

    @Test func activationMakesThePlanActiveAndListed() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let planPath = try await sandbox.draftPlanPath(token: token)
            let activated = try await sandbox.send("POST", planPath + "/activate", body: "patient_id=pat-1&personal_message=Take+care", contentType: "application/x-www-form-urlencoded")
            #expect(activated.status == 303)
            #expect(try await sandbox.send("POST", planPath + "/activate", body: "patient_id=pat-1", contentType: "application/x-www-form-urlencoded").status == 409)

            let list = try await sandbox.json(sandbox.send("GET", "/api/clinic/patients/pat-1/treatment_plans?sort_by=created_at&order_by=DESC", token: token))
            let plans = try #require(list["treatment_plans"]).array
            #expect(plans.count == 1)
            #expect(list["meta"]?["total_count"]?.text == "1", "paginated like every list")
            let id = try #require(plans.first?["id"]?.text)
            let plan = try await #require(sandbox.json(sandbox.send("GET", "/api/clinic/treatment_plans/\(id)", token: token))["treatment_plan"])
            #expect(plan["state"]?.text == "active")
            #expect(plan["patient_id"]?.text == "pat-1")
            #expect(plan["practitioner_id"]?.text == "prac-1")
            #expect(plan["personal_message"]?.text == "Take care")
            let recommendation = try #require(plan["recommendations"]?.array.first)
            #expect(recommendation["dosage"]?["time_of_day"]?.array.count == 2)
            #expect(try await sandbox.send("GET", "/api/clinic/treatment_plans/plan-99", token: token).status == 404)
        }
    }

    @Test func staffPicksPractitionerAndCreatesPatientOnAGenericLink() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("staff-1")
            let url = try await #require(sandbox.json(sandbox.send("GET", "/api/clinic/dynamic_links/treatment_plans", token: token))["redirect_url"]?.text)
            let path = try #require(URLComponents(string: url)?.path)
            #expect(try await sandbox.send("GET", path).text.contains("name=\"practitioner_id\""))
            let activated = try await sandbox.send("POST", path + "/activate", body: "practitioner_id=prac-2&patient_id=&email=walk.in%40patient.example&first_name=Walk&last_name=In", contentType: "application/x-www-form-urlencoded")
            #expect(activated.status == 303)
            let found = try await sandbox.json(sandbox.send("GET", "/api/clinic/search/patients?query=walk.in", token: token))["patients"]?.array
            #expect(found?.count == 1)
        }
    }

    @Test func activationDeliversASignedWebhookAfterTheChallenge() async throws {
        let recorder = WebhookRecorder()
        try await withRecordedWebhooks(recorder) { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let planPath = try await sandbox.draftPlanPath(token: token)
            #expect(try await sandbox.send("POST", planPath + "/activate", body: "patient_id=pat-1", contentType: "application/x-www-form-urlencoded").status == 303)
        }
        let deliveries = await recorder.deliveries
        try #require(deliveries.count == 2)
        #expect(deliveries[0].url == "http://app.test/webhooks/fullscript")
        #expect(deliveries[0].body.isEmpty)
        let event = deliveries[1]
        let signature = try #require(event.headers.first { $0.0 == "Fullscript-Signature" }?.1)
        let match = try #require(signature.wholeMatch(of: /t=(\d+),v1=([0-9a-f]{64})/))
        let expected = HMACSHA256.authenticate(Array("\(match.1).".utf8) + event.body, key: Array("sandbox-webhook-secret".utf8))
        #expect(Hex.encode(expected) == String(match.2))
        let payload = try #require(JSON.parse(event.body)?["event_payload"]?["event"])
        #expect(payload["type"]?.text == "treatment_plan.created")
        #expect(payload["clinic_id"]?.text == "clinic-1")
        #expect(payload["data"]?["treatment_plan"]?["state"]?.text == "active")
    }
}
