@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// Plans a practitioner can read (issue 16): products by name, brand and form from Fullscript's catalog,
/// the practitioner by name, resources and lab tests kept, through a cache that asks Fullscript once per
/// variant per TTL and degrades to ids when Fullscript fails. Labs only where Fullscript sells them.
struct ReadablePlansTests {
    /// A plan activated in the simulator for Jordan (p-1001), brought in by Refresh (webhooks off).
    static func refreshedPlan(on harness: ConnectedHarness) async throws -> String {
        let (session, _, _) = try await PlanRoutesTests.activatePlan(on: harness)
        #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)
        return session
    }

    static func calls(_ harness: ConnectedHarness, under prefix: String) async -> Int {
        await harness.sandbox.recordedRequests().filter { $0.path.hasPrefix(prefix) }.count
    }

    /// The clinic's practitioner list (not one practitioner's record, which connecting reads).
    static func practitionerListCalls(_ harness: ConnectedHarness) async -> Int {
        await harness.sandbox.recordedRequests().filter { $0.path == "/api/clinic/practitioners" }.count
    }

    /// The chart's list, in a fresh session: tests move the clock past a session's life.
    static func chart(_ harness: ConnectedHarness) async throws -> [[String: Any]] {
        try plans(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: try await harness.signIn()))
    }

    static func plans(_ response: TestResponse) throws -> [[String: Any]] {
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "\(response.text)")
        return try #require(body["plans"] as? [[String: Any]])
    }

    static func products(_ plan: [String: Any]) -> [[String: Any]?] {
        ((plan["recommendations"] as? [[String: Any]]) ?? []).map { $0["product"] as? [String: Any] }
    }

    @Test func productsAndThePractitionerAreNamedWithOneCatalogCallPerVariantAcrossCharts() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await Self.refreshedPlan(on: harness)
            let other = try await harness.signIn("bob")
            // Many charts at once, of two users: each variant is asked for once, the practitioners once.
            let reads = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for index in 0..<12 {
                    group.addTask { try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: index.isMultiple(of: 2) ? session : other) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for read in reads {
                #expect(read.status == 200)
                let plan = try #require(try Self.plans(read).first)
                #expect(plan["practitioner_name"] as? String == "Avery Quinn" && plan["practitioner_id"] as? String == "prac-1")
                let product = try #require(Self.products(plan).first ?? nil)
                #expect(product["name"] as? String == "Magnesium Glycinate" && product["brand"] as? String == "Pure Encapsulations")
                #expect(product["form"] as? String == "capsule" && product["size"] as? String == "90 capsules")
                #expect(Self.products(plan).compactMap { $0?["name"] as? String } == ["Magnesium Glycinate", "Vitamin D3 5,000 IU", "Omega-3 Fish Oil"])
            }
            #expect(await Self.calls(harness, under: "/api/catalog/variants/") == 3)
            #expect(await Self.practitionerListCalls(harness) == 1)

            // Within the TTL nothing is asked again; past it, each variant once more.
            harness.clock.advance(by: 86_000)
            #expect(try await Self.chart(harness).first?["practitioner_name"] as? String == "Avery Quinn")
            #expect(await Self.calls(harness, under: "/api/catalog/variants/") == 3)
            harness.clock.advance(by: 401)
            #expect(try await Self.chart(harness).first?["practitioner_name"] as? String == "Avery Quinn")
            // A refresh that outlasts catalog_wait_ms (a loaded machine) goes on after the chart is answered.
            #expect(await eventually { await Self.calls(harness, under: "/api/catalog/variants/") == 6 })
            #expect(await eventually { await Self.practitionerListCalls(harness) == 2 })
        }
    }

    /// Any connected account may read the catalog and the clinic's practitioners: a practice whose only
    /// connected user is staff still reads names, not ids.
    @Test func aPracticeWhereOnlyStaffConnectedStillReadsNames() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn("sam-ortiz")
            try await harness.connect(session: session, as: "staff-1")
            let click = try await harness.get("/recommend/p-1001?practitioner_id=prac-1&remember=1", user: nil, cookie: session)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            guard case .found(let patient) = try await harness.application.patients.find("p-1001", in: Tenant.defaultID),
                  let fullscriptPatientID = patient.fullscriptPatientID else { throw TestClientError.malformed("no mapping after the click") }
            try await harness.activate(planID, patient: fullscriptPatientID)
            #expect(try await harness.refreshPlans("p-1001", session: session).status == 200)

            let plan = try #require(try Self.plans(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)).first)
            #expect(plan["practitioner_name"] as? String == "Avery Quinn")
            #expect((Self.products(plan).first ?? nil)?["name"] as? String == "Magnesium Glycinate")
        }
    }

    @Test func aFailingCatalogShowsIdsNotAnErrorAndIsAskedAgainAfterTheRetryTime() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_TIMEOUT_MS": "1500"])) { harness in
            await harness.sandbox.setFaults([.status(503)], pathPrefix: "/api/catalog")
            let session = try await Self.refreshedPlan(on: harness)
            let failed = try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)
            #expect(failed.status == 200)
            let plan = try #require(try Self.plans(failed).first)
            #expect(Self.products(plan).allSatisfy { $0 == nil })
            #expect((plan["recommendations"] as? [[String: Any]])?.compactMap { $0["variant_id"] as? String } == ["variant-1001", "variant-1002", "variant-1003"])
            #expect(plan["practitioner_name"] as? String == "Avery Quinn", "the practitioners did not fail")

            // Remembered as failed: the next charts do not ask a failing Fullscript again.
            let asked = await Self.calls(harness, under: "/api/catalog/")
            #expect(asked >= 3)
            await harness.sandbox.clearFaults()
            #expect(Self.products(try #require(try Self.plans(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)).first))
                .allSatisfy { $0 == nil })
            #expect(await Self.calls(harness, under: "/api/catalog/") == asked)

            harness.clock.advance(by: 61)
            let recovered = try #require(try await Self.chart(harness).first)
            #expect(Self.products(recovered).compactMap { $0?["name"] as? String }.count == 3)
            #expect(await Self.calls(harness, under: "/api/catalog/") == asked + 3)

            // A slow catalog ends at the timeout, with ids; names learned before are kept.
            harness.clock.advance(by: 86_401)
            await harness.sandbox.setFaults([.latency(.seconds(5))], pathPrefix: "/api/catalog")
            let slow = try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: try await harness.signIn())
            #expect(slow.status == 200)
            #expect(Self.products(try #require(try Self.plans(slow).first)).compactMap { $0?["name"] as? String }.count == 3,
                    "names learned before are kept")
        }
    }

    @Test func aSlowCatalogDoesNotHoldTheChartAndItsNamesComeForTheNextRead() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_CATALOG_WAIT_MS": "200"])) { harness in
            let session = try await Self.refreshedPlan(on: harness)
            // The refresh's lookups may outlive its 200 ms wait on a busy machine: let them land before the delete.
            #expect(try await eventually {
                try await harness.application.database.read { try $0.queryFirst("SELECT count(*) AS n FROM catalog_variants")?.int("n") } == 3
            })
            _ = try await harness.application.database.write { try $0.execute("DELETE FROM catalog_variants") }
            await harness.sandbox.setFaults([.latency(.seconds(2))], pathPrefix: "/api/catalog")
            let started = ContinuousClock.now
            let read = try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)
            #expect(read.status == 200)
            #expect(ContinuousClock.now - started < .milliseconds(1500), "the chart waits catalog_wait_ms, not the catalog")
            #expect(Self.products(try #require(try Self.plans(read).first)).allSatisfy { $0 == nil })
            #expect(try await eventually {
                let plan = try Self.plans(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)).first
                return plan.map { Self.products($0).compactMap { $0?["name"] as? String }.count == 3 } ?? false
            }, "the lookups finished by themselves")
            #expect(await Self.calls(harness, under: "/api/catalog/variants/") == 6, "three when refreshed, three after the delete")
        }
    }

    @Test func resourcesAndLabTestsAreKeptAndShownToChartsAndServices() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let click = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(click.status == 302)
            let planID = try #require(URLComponents(string: click.header("location") ?? "")?.path.split(separator: "/").last.map(String.init))
            try await harness.activate(planID, patient: try #require(try await harness.mapping(of: "p-1001")))
            let refreshed = try #require(try Self.plans(try await harness.refreshPlans("p-1001", session: session)).first)
            for plan in [refreshed, try #require(try Self.plans(try await harness.get("/ehr/api/patients/p-1001/treatment-plans", user: nil, cookie: session)).first)] {
                let resource = try #require((plan["resources"] as? [[String: Any]])?.first)
                #expect(resource["title"] as? String == "Magnesium and sleep: a patient guide")
                let lab = try #require((plan["lab_recommendations"] as? [[String: Any]])?.first)
                #expect((lab["tests"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Comprehensive Metabolic Panel", "Vitamin D, 25-Hydroxy"])
            }

            let key = try await ServiceKeyStore(database: harness.application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
            let service = try #require(try Self.plans(try await harness.request("GET /api/v1/patients/p-1001/treatment-plans",
                                                                               headers: ["Authorization: Bearer \(key)"])).first)
            #expect((service["lab_recommendations"] as? [[String: Any]])?.first?["tests"] != nil)
            #expect((service["resources"] as? [[String: Any]])?.count == 1)
            #expect(Self.products(service).first??["name"] as? String == "Magnesium Glycinate")
            #expect(service["practitioner_name"] as? String == "Avery Quinn")
        }
    }

    @Test func aWebhookKeepsResourcesAndTheStreamSendsNames() async throws {
        try await withHarness(mode: .live, identity: nil, deliverWebhooks: true) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302)
            let (stream, _) = try await harness.readyStream("p-1001", session: session)
            try await harness.recommendAndActivate(session: session)
            let (event, _) = try await stream.nextEvent()
            #expect(event.event == "plan")
            let data = try #require(event.data)
            #expect(data.contains(#""name":"Magnesium Glycinate""#) && data.contains(#""practitioner_name":"Avery Quinn""#))
            #expect(data.contains(#""title":"Magnesium and sleep: a patient guide""#))
        }
    }

    @Test func reconcileKeepsResources() async throws {
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            let (summary, _) = try await ReconcileTests.reconcile(harness)
            #expect(summary.applied == 1)
            let plan = try #require(try await harness.application.plans.plans(forEHRPatient: "p-1001", in: Tenant.defaultID).first)
            guard case .array(let resources) = plan.resources, case .object(let resource)? = resources.first else {
                Issue.record("no resources: \(plan.resources)")
                return
            }
            #expect(resource["title"] == .string("Magnesium and sleep: a patient guide"))
            #expect(plan.labRecommendations == .array([]), "a catalog plan recommends no labs")
        }
    }

    @Test func labsAreOfferedInTheUSOnly() async throws {
        try await withHarness(try await RecommendRoutesTests.harness(["FULLSCRIPT_REGION": "ca"])) { harness in
            let session = try await harness.signIn()
            try await harness.connect(session: session)
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            #expect(me.text.contains(#""labs_offered":false"#))

            let page = try await harness.get("/recommend/p-1001?entrypoint=labs", user: nil, cookie: session)
            #expect(page.status == 422)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true && page.text.contains("Labs are not offered here"))
            let program = try await harness.request("GET /recommend/p-1001?entrypoint=labs",
                                                    headers: ["Cookie: \(session)", "Accept: application/json", "Sec-Fetch-Site: same-origin"])
            #expect(program.status == 422 && program.text.contains(#""code":"labs_not_offered""#))
            #expect(try await harness.get("/recommend/p-1001/opening?entrypoint=labs", user: nil, cookie: session).status == 422)
            #expect(await harness.planLinkRequests().isEmpty, "nothing was sent to Fullscript")
            #expect(try await harness.get("/recommend/p-1001", user: nil, cookie: session).status == 302, "products still are")
        }
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let session = try await harness.signIn()
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: session).text.contains(#""labs_offered":true"#))
        }
    }
}
