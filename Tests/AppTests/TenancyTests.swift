@testable import App
import Foundation
import Server
import ServerTesting
import Store
import Testing

/// Several practices on one deployment: each sees only its own users, patients, plans and connections.
struct TenancyTests {
    static let lakeside = "lakeside"

    /// A tenant besides `default`, made as the operator's command makes it.
    static func addLakeside(_ harness: ConnectedHarness) async throws {
        _ = try await TenantStore(database: harness.application.database).create(id: lakeside, name: "Lakeside Clinic", region: .us)
    }

    static func key(_ harness: ConnectedHarness, _ name: String, tenant: String) async throws -> String {
        try await ServiceKeyStore(database: harness.application.database).create(name: name, tenant: tenant)
    }

    static func service(_ harness: ConnectedHarness, _ method: String, _ path: String, key: String, body: String? = nil) async throws
        -> TestResponse {
        try await harness.execute("\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\n"
            + (body.map { "Content-Type: application/json\r\nContent-Length: \($0.utf8.count)\r\n\r\n\($0)" } ?? "\r\n"))
    }

    static func chart(_ harness: ConnectedHarness, _ path: String, session: String) async throws -> TestResponse {
        try await harness.execute("GET \(path) HTTP/1.1\r\nHost: x\r\nCookie: \(session)\r\n\r\n")
    }

    @Test func twoTenantsWithTheSameUserAndPatientIdsStayApart() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await Self.addLakeside(harness)
            let defaultKey = try await Self.key(harness, "default-sync", tenant: Tenant.defaultID)
            let lakesideKey = try await Self.key(harness, "lakeside-sync", tenant: Self.lakeside)
            let first = try await Self.service(harness, "PUT", "/api/v1/patients/p-1", key: defaultKey,
                                               body: #"{"email":"jordan@example.com","first_name":"Jordan","last_name":"Rivera"}"#)
            #expect(first.status == 201)
            let second = try await Self.service(harness, "PUT", "/api/v1/patients/p-1", key: lakesideKey,
                                                body: #"{"email":"robin@example.com","first_name":"Robin","last_name":"Hale"}"#)
            #expect(second.status == 201, "the same id in another tenant is another patient")

            let home = try await harness.signIn("dr-quinn")
            let away = try await harness.signIn("dr-quinn", tenant: Self.lakeside)
            #expect(home != away)
            #expect(try await Self.chart(harness, "/ehr/api/patients/p-1", session: home).json["email"] as? String == "jordan@example.com")
            #expect(try await Self.chart(harness, "/ehr/api/patients/p-1", session: away).json["email"] as? String == "robin@example.com")
            let me = try await Self.chart(harness, "/ehr/api/me", session: away).json
            #expect((me["user"] as? [String: Any])?["tenant"] as? String == Self.lakeside)

            // Connections: dr-quinn of default connects; dr-quinn of lakeside is still not connected.
            try await harness.connect(session: home)
            let homeMe = try await Self.chart(harness, "/ehr/api/me", session: home).json
            let awayMe = try await Self.chart(harness, "/ehr/api/me", session: away).json
            #expect((homeMe["fullscript"] as? [String: Any])?["connected"] as? Bool == true)
            #expect((awayMe["fullscript"] as? [String: Any])?["connected"] as? Bool == false)

            // Plans: default's p-1 has a plan; lakeside's p-1 does not, even mapped to the same Fullscript id.
            let patients = harness.application.patients
            try await patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "fs-1", in: Tenant.defaultID, at: Date())
            try await patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "fs-1", in: Self.lakeside, at: Date())
            try await harness.deliver(PlanRoutesTests.plan("tp-home", of: "fs-1"))
            let homePlans = try await Self.chart(harness, "/ehr/api/patients/p-1/treatment-plans", session: home).json
            let awayPlans = try await Self.chart(harness, "/ehr/api/patients/p-1/treatment-plans", session: away).json
            #expect((homePlans["plans"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["tp-home"])
            #expect((awayPlans["plans"] as? [[String: Any]])?.isEmpty == true)

            // Services: each key lists its own tenant's patients only.
            let listed = try await Self.service(harness, "GET", "/api/v1/patients", key: lakesideKey).json
            #expect((listed["patients"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["robin@example.com"])

            let sessions = try await harness.application.database.read { connection in
                try connection.query("SELECT tenant_id, ehr_user_id FROM sessions ORDER BY tenant_id") {
                    "\(try $0.string("tenant_id"))/\(try $0.string("ehr_user_id"))"
                }
            }
            #expect(sessions == ["default/dr-quinn", "lakeside/dr-quinn"])
        }
    }

    @Test func aLaunchForAnUnknownTenantIsRefusedAndCreatesNothing() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let refused = try await harness.get("/launch?token=\(harness.mint(tenant: "nowhere"))", user: nil)
            #expect(refused.status == 401)
            #expect(refused.header("set-cookie") == nil)
            #expect(refused.text.contains("names the practice &#39;nowhere&#39;") || refused.text.contains("names the practice 'nowhere'"))
            let counts = try await harness.application.database.read { connection in
                try connection.queryFirst("SELECT (SELECT count(*) FROM sessions) AS s, (SELECT count(*) FROM launch_token_uses) AS j")
                    .map { [try $0.int("s"), try $0.int("j")] }
            }
            #expect(counts == [0, 0])
            let audit = try await harness.application.database.read { connection in
                try connection.query("SELECT tenant_id, action, outcome, detail FROM audit_log") {
                    "\(try $0.optionalString("tenant_id") ?? "-") \(try $0.string("action")) \(try $0.string("outcome")) \(try $0.optionalString("detail") ?? "-")"
                }
            }
            #expect(audit == ["- session.start unknown_tenant nowhere"])

            let malformed = try await harness.get("/launch?token=\(harness.mint(tenant: "Not A Slug"))", user: nil)
            #expect(malformed.status == 401)
            #expect(malformed.text.contains("unusable tenant claim"))
        }
    }

    @Test func aLaunchIntoAnotherTenantAsksBeforeReplacingTheSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await Self.addLakeside(harness)
            let home = try await harness.signIn("dr-quinn")
            // Same user id, another practice: someone else, so the launch asks first.
            let asked = try await harness.get("/launch?token=\(harness.mint(tenant: Self.lakeside))", user: nil, cookie: home)
            #expect(asked.status == 200)
            #expect(asked.text.contains("Switch EHR user?"))
            #expect(asked.text.contains("dr-quinn, practice lakeside"))
            #expect(asked.header("set-cookie") == nil)
        }
    }

    @Test func aServiceKeySeesOnlyItsTenant() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await Self.addLakeside(harness)
            let defaultKey = try await Self.key(harness, "default-sync", tenant: Tenant.defaultID)
            let lakesideKey = try await Self.key(harness, "lakeside-sync", tenant: Self.lakeside)
            let created = try await Self.service(harness, "PUT", "/api/v1/patients/p-9", key: lakesideKey,
                                                 body: #"{"email":"robin@example.com","first_name":"Robin","last_name":"Hale"}"#)
            #expect(created.status == 201)

            for (method, path) in [("GET", "/api/v1/patients/p-9"), ("DELETE", "/api/v1/patients/p-9"),
                                   ("GET", "/api/v1/patients/p-9/treatment-plans")] {
                let answer = try await Self.service(harness, method, path, key: defaultKey)
                #expect(answer.status == 404, "\(method) \(path)")
            }
            let listed = try await Self.service(harness, "GET", "/api/v1/patients", key: defaultKey).json
            #expect((listed["patients"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await Self.service(harness, "GET", "/api/v1/patients/p-9", key: lakesideKey).status == 200, "the DELETE above changed nothing")
        }
    }

    @Test func aWebhookEventTouchesOnlyTheTenantItWasRoutedTo() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await Self.addLakeside(harness)
            // The same EHR patient in both tenants, both mapped to the same Fullscript id: only the tenant the
            // event is routed to (default, until clinics are pinned) may see the plan.
            let keys = [Tenant.defaultID: try await Self.key(harness, "default-sync", tenant: Tenant.defaultID),
                        Self.lakeside: try await Self.key(harness, "lakeside-sync", tenant: Self.lakeside)]
            for (tenant, key) in keys {
                #expect(try await Self.service(harness, "PUT", "/api/v1/patients/p-1", key: key, body: #"{"email":"p1@example.com"}"#).status == 201)
                try await harness.application.patients.recordMapping(ehrPatientID: "p-1", fullscriptPatientID: "pat-1", in: tenant, at: Date())
            }
            #expect(try await harness.deliver(PlanEvent.body("ev-1", plan: PlanEvent.plan("tp-1", patient: "pat-1"))).status == 200)
            try await harness.deliverBarrier()

            let routed = try await harness.application.database.read { connection in
                try connection.query("SELECT event_id, tenant_id FROM webhook_events ORDER BY rowid") {
                    "\(try $0.string("event_id"))→\(try $0.optionalString("tenant_id") ?? "-")"
                }
            }
            #expect(routed == ["ev-1→default", "ev-barrier→default"])
            let home = try await harness.signIn("dr-quinn")
            let away = try await harness.signIn("dr-quinn", tenant: Self.lakeside)
            let homePlans = try await Self.chart(harness, "/ehr/api/patients/p-1/treatment-plans", session: home).json
            let awayPlans = try await Self.chart(harness, "/ehr/api/patients/p-1/treatment-plans", session: away).json
            #expect((homePlans["plans"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["tp-1"])
            #expect((awayPlans["plans"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func rateLimitsCountTheSameUserIdOfEachTenantApart() async throws {
        try await withHarness(identity: nil, environment: RateLimitsTests.tight) { harness in
            try await Self.addLakeside(harness)
            let home = try await harness.signIn("alice")
            let away = try await harness.signIn("alice", tenant: Self.lakeside)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: home).status == 200)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: home).status == 200)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: home).status == 429)
            #expect(try await harness.get("/ehr/api/me", user: nil, cookie: away).status == 200, "lakeside's alice has her own bucket")
        }
    }

    @Test func anOperatorKeyListsEveryTenantAndOtherKeysMayNot() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await Self.addLakeside(harness)
            let operatorKey = try await ServiceKeyStore(database: harness.application.database)
                .create(name: "vendor-tools", tenant: Tenant.defaultID, isOperator: true)
            let lakesideKey = try await Self.key(harness, "lakeside-sync", tenant: Self.lakeside)
            let listed = try await Self.service(harness, "GET", "/api/v1/tenants", key: operatorKey)
            #expect(listed.status == 200)
            let tenants = try listed.json["tenants"] as? [[String: Any]]
            #expect(tenants?.compactMap { $0["id"] as? String } == [Tenant.defaultID, Self.lakeside])
            #expect(tenants?.last?["name"] as? String == "Lakeside Clinic")
            #expect(tenants?.first?["fullscript_clinic_name"] as? String == ConnectedHarness.clinicName)

            let refused = try await Self.service(harness, "GET", "/api/v1/tenants", key: lakesideKey)
            #expect(refused.status == 403)
            #expect(refused.text.contains("operator_key_required"))

            // For patients, an operator key is a key of its own tenant.
            #expect(try await Self.service(harness, "PUT", "/api/v1/patients/p-9", key: lakesideKey, body: #"{"email":"r@example.com"}"#).status == 201)
            #expect(try await Self.service(harness, "GET", "/api/v1/patients/p-9", key: operatorKey).status == 404)
        }
    }

    @Test func tenantsAreCreatedAndListedByTheOperatorsCommand() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = try await AppConfig.load(directory: repositoryRoot + "/config", environment: ApplicationTests.environment(directory))
        let command = TenantCommand(database: config.database, logger: ApplicationTests.quietLogger)

        #expect(try await command.create(id: "lakeside", region: "ca", displayName: "Lakeside Clinic").contains("Created tenant 'lakeside'"))
        let rows = try await command.list().split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows.map { $0.first.map(String.init) } == ["ID", "default", "lakeside"])
        #expect(rows[2].prefix(4).map(String.init) == ["lakeside", "Lakeside", "Clinic", "ca"], "no clinic pinned yet")

        await #expect(throws: TenantError.idTaken("lakeside")) { try await command.create(id: "lakeside", region: "us") }
        await #expect(throws: TenantError.invalidID("Lake Side")) { try await command.create(id: "Lake Side", region: "us") }
        await #expect(throws: TenantError.invalidID(String(repeating: "a", count: 65))) {
            try await command.create(id: String(repeating: "a", count: 65), region: "us")
        }
        await #expect(throws: TenantError.invalidRegion("eu")) { try await command.create(id: "harbour", region: "eu") }

        let keys = ServiceKeyCommand(database: config.database, logger: ApplicationTests.quietLogger)
        await #expect(throws: ServiceKeyError.unknownTenant("harbour")) { try await keys.create(name: "sync", tenant: "harbour") }
        #expect(try await keys.create(name: "sync", tenant: "lakeside").contains("for tenant 'lakeside'"))
        #expect(try await keys.list().contains("lakeside"))
        #expect(try await keys.create(name: "vendor", tenant: "lakeside", isOperator: true).contains("Created operator key 'vendor'"))
        let vendor = try #require(try await keys.list().split(separator: "\n").first { $0.hasPrefix("vendor") })
        #expect(vendor.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == ["vendor", "lakeside", "yes"])
    }
}
