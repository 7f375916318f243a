@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Synchronization
import Testing

/// A tenant is one Fullscript clinic: pinned by its first connection, enforced at every later one,
/// and the key webhook events and reconciliation are routed by.
struct PinnedClinicTests {
    /// Runs the connect flow for `user` of `tenant` (header identity), approving at the simulator as
    /// `account`; returns Fullscript's redirect back to us, not yet followed, and the browser's cookie.
    static func consent(_ harness: ConnectedHarness, user: String, tenant: String = Tenant.defaultID, as account: String) async throws
        -> (callback: String, cookie: String) {
        let connect = try await harness.startConnect(returnTo: "/", user: user, headers: ["X-Test-Tenant: \(tenant)"])
        let location = try #require(connect.header("location"))
        let cookie = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let authorize = try #require(URLComponents(string: location))
        let approved = try await harness.fullscript.execute(
            "GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=\(account) HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        let backLocation = try #require(approved.header("location"))
        let back = try #require(URLComponents(string: backLocation))
        return ("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", cookie)
    }

    static func connect(_ harness: ConnectedHarness, user: String, tenant: String = Tenant.defaultID, as account: String) async throws
        -> TestResponse {
        let (callback, cookie) = try await consent(harness, user: user, tenant: tenant, as: account)
        return try await harness.get(callback, user: nil, cookie: cookie)
    }

    /// `id|clinic id|clinic name` of every tenant.
    static func pins(_ harness: ConnectedHarness) async throws -> [String] {
        try await TenantStore(database: harness.application.database).list().map {
            "\($0.id)|\($0.fullscriptClinicID ?? "-")|\($0.fullscriptClinicName ?? "-")"
        }
    }

    /// `tenant:user` of every stored connection.
    static func connections(_ harness: ConnectedHarness) async throws -> [String] {
        try await harness.storedRows().map { "\(try $0.string("tenant_id")):\(try $0.string("ehr_user_id"))" }.sorted()
    }

    static func auditRows(_ harness: ConnectedHarness) async throws -> [String] {
        try await harness.application.database.read { connection in
            try connection.query("SELECT tenant_id, actor, action, outcome, detail FROM audit_log ORDER BY id") { row in
                try ["tenant_id", "actor", "action", "outcome", "detail"].map { try row.optionalString($0) ?? "-" }.joined(separator: "|")
            }
        }
    }

    @Test func theFirstConnectionPinsTheClinicShownByTenantsListAndDoctor() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            #expect(try await Self.pins(harness) == ["default|-|-"])
            #expect(try await Self.connect(harness, user: "alice", as: "prac-1").status == 200)

            #expect(try await Self.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
            #expect(await harness.sandbox.recordedRequests().contains { $0.method == "GET" && $0.path == "/api/clinic" })
            #expect(try await Self.auditRows(harness).contains("default|alice|tenant.pin_clinic|pinned|Sandbox Integrative Clinic"))
            // Another practitioner of the same clinic connects as before.
            #expect(try await Self.connect(harness, user: "bob", as: "prac-2").status == 200)
            #expect(try await Self.connections(harness) == ["default:alice", "default:bob"])

            let config = harness.application.config
            let listed = try await TenantCommand(database: config.database, logger: ApplicationTests.quietLogger).list()
            #expect(listed.contains("Sandbox Integrative Clinic (clinic-1)"))
            let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            #expect(findings.contains { $0.ok && $0.what == "tenant default (us): Fullscript clinic Sandbox Integrative Clinic (clinic-1)" })
        }
    }

    @Test func aConnectionWithAnotherClinicsAccountIsRefusedAndStoresNothing() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            #expect(try await Self.connect(harness, user: "alice", as: "prac-1").status == 200)
            let revokesBefore = await harness.sandbox.recordedRequests().filter { $0.path == "/api/oauth/revoke" }.count

            // Bob, of the same practice, picks his account at another clinic on Fullscript's page.
            let refused = try await Self.connect(harness, user: "bob", as: "prac-4")

            #expect(refused.status == 403)
            #expect(refused.text.contains("This Fullscript account belongs to another clinic"))
            #expect(refused.text.contains("Your practice uses the Fullscript clinic Sandbox Integrative Clinic"))
            #expect(refused.text.contains("belongs to Lakeside Family Wellness. Nothing was saved."))
            #expect(refused.text.contains(#"id="try-again" href="/oauth/fullscript/connect?return_to=%2F""#))
            #expect(refused.header("set-cookie")?.contains("Max-Age=0") == true, "the flow's cookie is cleared")
            #expect(try await Self.connections(harness) == ["default:alice"], "no connection row for bob")
            #expect(try await Self.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
            #expect(try await Self.auditRows(harness).last
                == "default|bob|fullscript.connect|refused_other_clinic|account's clinic clinic-2, practice's clinic clinic-1")
            #expect(await harness.sandbox.recordedRequests().filter { $0.path == "/api/oauth/revoke" }.count == revokesBefore + 1,
                    "the token nobody keeps is revoked at Fullscript")
        }
    }

    @Test func aClinicPinnedByAnotherTenantIsRefused() async throws {
        try await withHarness { harness in
            try await TenancyTests.addLakeside(harness)
            let refused = try await Self.connect(harness, user: "alice", tenant: TenancyTests.lakeside, as: "prac-1")
            #expect(refused.status == 403)
            #expect(refused.text.contains("The Fullscript clinic Sandbox Integrative Clinic belongs to another practice"))
            #expect(try await Self.connections(harness).isEmpty)
            #expect(try await Self.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic", "lakeside|-|-"])
            #expect(try await Self.auditRows(harness).last
                == "lakeside|alice|fullscript.connect|refused_other_clinic|account's clinic clinic-1, pinned by another tenant")
        }
    }

    @Test func twoFirstConnectionsRacingPinOneClinic() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            let first = try await Self.consent(harness, user: "alice", as: "prac-1")
            let second = try await Self.consent(harness, user: "bob", as: "prac-4")
            async let one = harness.get(first.callback, user: nil, cookie: first.cookie)
            async let other = harness.get(second.callback, user: nil, cookie: second.cookie)
            let statuses = [try await one.status, try await other.status]

            #expect(statuses.sorted() == [200, 403])
            let pins = try await Self.pins(harness)
            let winner = statuses[0] == 200 ? "default:alice" : "default:bob"
            #expect(try await Self.connections(harness) == [winner])
            #expect(pins == [winner == "default:alice" ? "default|clinic-1|Sandbox Integrative Clinic" : "default|clinic-2|Lakeside Family Wellness"])
        }
    }

    /// default pinned to clinic-1, lakeside pinned to clinic-2 by its own first connection; the same EHR
    /// patient in both, mapped to the same Fullscript id, so only routing keeps them apart.
    static func twoPinnedTenants(_ harness: ConnectedHarness) async throws -> (home: String, away: String) {
        try await TenancyTests.addLakeside(harness)
        let home = try await harness.signIn("dr-quinn")
        let away = try await harness.signIn("dr-nakamura", tenant: TenancyTests.lakeside)
        try await harness.connect(session: away, as: "prac-4")
        #expect(try await Self.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic", "lakeside|clinic-2|Lakeside Family Wellness"])
        for tenant in [Tenant.defaultID, TenancyTests.lakeside] {
            let key = try await TenancyTests.key(harness, "\(tenant)-sync", tenant: tenant)
            #expect(try await TenancyTests.service(harness, "PUT", "/api/v1/patients/p-1", key: key, body: #"{"email":"p1@example.com"}"#).status == 201)
            try await harness.application.patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "pat-1", in: tenant, at: Date())
        }
        return (home, away)
    }

    static func planIDs(_ harness: ConnectedHarness, session: String) async throws -> [String]? {
        let plans = try await TenancyTests.chart(harness, "/ehr/api/patients/p-1/treatment-plans", session: session).json
        return (plans["plans"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
    }

    /// `event_id→tenant (error)` in received order.
    static func routed(_ harness: ConnectedHarness) async throws -> [String] {
        try await harness.application.database.read { connection in
            try connection.query("SELECT event_id, tenant_id, status, error FROM webhook_events ORDER BY rowid") {
                "\(try $0.string("event_id"))→\(try $0.optionalString("tenant_id") ?? "-") \(try $0.string("status"))"
                    + (try $0.optionalString("error").map { " (\($0))" } ?? "")
            }
        }
    }

    @Test func aWebhookForClinicBLandsInTenantBOnly() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let (home, away) = try await Self.twoPinnedTenants(harness)
            let event = PlanEvent.body("ev-2", plan: PlanEvent.plan("tp-2", patient: "pat-1", practitioner: "prac-4"), clinic: "clinic-2")
            #expect(try await harness.deliver(event).status == 200)
            try await harness.deliverBarrier()

            #expect(try await Self.routed(harness) == ["ev-2→lakeside processed", "ev-barrier→default ignored"])
            #expect(try await Self.planIDs(harness, session: away) == ["tp-2"])
            #expect(try await Self.planIDs(harness, session: home) == [])
        }
    }

    @Test func anEventOfAClinicNoTenantPinnedIsAcknowledgedAndIgnored() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let (home, away) = try await Self.twoPinnedTenants(harness)
            let event = PlanEvent.body("ev-9", plan: PlanEvent.plan("tp-9", patient: "pat-1"), clinic: "clinic-9")
            let response = try await harness.deliver(event)
            #expect(response.status == 200)
            #expect(response.text == #"{"challenge":"\#(ApplicationTests.webhookChallenge)"}"#)
            try await harness.deliverBarrier()

            #expect(try await Self.routed(harness)
                == ["ev-9→- ignored (no tenant is pinned to Fullscript clinic clinic-9)", "ev-barrier→default ignored"])
            #expect(try await harness.storedPlans().isEmpty)
            #expect(try await Self.planIDs(harness, session: home) == [])
            #expect(try await Self.planIDs(harness, session: away) == [])
        }
    }

    @Test func anEventWithoutClinicIDGoesToTheOnlyTenantAndIsIgnoredAmongSeveral() async throws {
        try await withHarness { harness in
            #expect(try await harness.deliver(PlanEvent.body("ev-old", plan: PlanEvent.plan("tp-old", patient: nil), clinic: nil)).status == 200)
            #expect(try await eventually { try await Self.routed(harness) == ["ev-old→default processed"] })
            try await TenancyTests.addLakeside(harness)
            #expect(try await harness.deliver(PlanEvent.body("ev-older", plan: PlanEvent.plan("tp-older", patient: nil), clinic: nil)).status == 200)
            try await harness.deliverBarrier()

            #expect(try await Self.routed(harness) == [
                "ev-old→default processed", "ev-older→- ignored (no clinic_id, and several tenants it could belong to)",
                "ev-barrier→default ignored",
            ])
            #expect(try await harness.storedPlans().map { String($0.prefix { $0 != "|" }) } == ["tp-old"])
        }
    }

    static func reconcile(_ harness: ConnectedHarness, tenant: String?) async throws -> (ReconcileCommand.Summary, [String]) {
        let lines = Mutex<[String]>([])
        let summary = try await ReconcileCommand.run(config: harness.application.config, since: 86_400, tenant: tenant,
                                                     logger: ApplicationTests.quietLogger) { line in lines.withLock { $0.append(line) } }
        return (summary, lines.withLock { $0 })
    }

    @Test func reconcileRunsPerTenantThroughEachTenantsOwnClinic() async throws {
        // default's practitioner activated a plan no webhook brought; lakeside's clinic has no events.
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            try await TenancyTests.addLakeside(harness)
            try await harness.connect(session: try await harness.signIn("dr-nakamura", tenant: TenancyTests.lakeside), as: "prac-4")

            let (lakeside, lakesideLines) = try await Self.reconcile(harness, tenant: TenancyTests.lakeside)
            #expect(lakeside == .init())
            #expect(lakesideLines.first?.hasPrefix("Reading treatment_plans events of tenant lakeside since ") == true)
            #expect(lakesideLines.first?.hasSuffix(" as dr-nakamura.") == true)
            #expect(try await harness.webhookEvents().isEmpty)

            let (all, allLines) = try await Self.reconcile(harness, tenant: nil)
            #expect(all == .init(seen: 1, new: 1, applied: 1, ignored: 0, failed: 0))
            #expect(allLines.filter { $0.hasPrefix("Reading") }.count == 2 * EventList.allCases.count)
            #expect(try await Self.routed(harness).map { $0.split(separator: "→")[1] } == ["default processed"])

            await #expect(throws: ReconcileError.unknownTenant("nope")) { _ = try await Self.reconcile(harness, tenant: "nope") }
            #expect(ReconcileError.unknownTenant("nope").description.contains("tenants list"))
        }
    }

    @Test func reconcileSkipsAConnectionOfAnotherClinicThanThePinnedOne() async throws {
        // Connected before clinics were pinned: a practitioner of clinic-2 in a tenant pinned to clinic-1.
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await harness.connect(session: try await harness.signIn("dr-nakamura"), as: "prac-4")
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = 'clinic-1' WHERE id = 'default'")
            }
            await #expect(throws: ReconcileError.noConnectedPractitioner) { _ = try await Self.reconcile(harness, tenant: Tenant.defaultID) }
            #expect(await !harness.sandbox.recordedRequests().contains { $0.path.hasPrefix("/api/events") })
        }
    }
}
