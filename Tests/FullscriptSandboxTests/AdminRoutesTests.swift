@testable import FullscriptSandbox
import Testing
import ServerTesting

struct AdminRoutesTests {
    @Test func requestsAreRecordedWithBearerTokensRedacted() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            _ = try await sandbox.send("GET", "/api/clinic/search/patients?query=jo", token: token)
            let recorded = await sandbox.sandbox.recordedRequests()
            #expect(recorded.last?.path == "/api/clinic/search/patients")
            #expect(recorded.last?.query == "query=jo")
            #expect(recorded.last?.bearerToken == token)
            let listed = try await sandbox.send("GET", "/_sandbox/requests")
            #expect(listed.status == 200)
            #expect(!listed.text.contains(token))
            #expect(try sandbox.json(listed).array.last?["bearer_token"]?.text == "[redacted]")
        }
    }

    @Test func faultsCanBeSetAndClearedOverHTTP() async throws {
        try await withSandbox { sandbox async throws in
            #expect(try await sandbox.send("POST", "/_sandbox/faults?count=2", body: #"[{"status":502}]"#).status == 204)
            #expect(try await sandbox.send("GET", "/api/clinic").status == 502)
            #expect(try await sandbox.send("POST", "/_sandbox/faults", body: #"[{"latency_ms":1},{"status":503}]"#).status == 204)
            #expect(try await sandbox.send("GET", "/api/clinic").status == 503)
            #expect(try await sandbox.send("DELETE", "/_sandbox/faults").status == 204)
            #expect(try await sandbox.send("GET", "/api/clinic").status == 401)
            #expect(try await sandbox.send("POST", "/_sandbox/faults", body: #"[{"explode":true}]"#).status == 400)
        }
    }

    @Test func emailsAreListed() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            _ = try await sandbox.send("POST", "/api/clinic/dynamic_links/treatment_plans", body: """
                {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"e@patient.example","first_name":"E","last_name":"Mail"}}
                """, token: token)
            #expect(try await sandbox.send("GET", "/_sandbox/emails").text == #"[{"to":"e@patient.example","patient_id":"pat-3"}]"#)
        }
    }

    @Test func onlyLoopbackAddressesAreAdmitted() {
        #expect(AdminRoutes.isLoopback("127.0.0.1"))
        #expect(AdminRoutes.isLoopback("::1"))
        #expect(AdminRoutes.isLoopback("::ffff:127.0.0.1"))
        #expect(!AdminRoutes.isLoopback("10.0.0.7"))
        #expect(!AdminRoutes.isLoopback("::ffff:192.168.1.2"))
    }
}
