@testable import App
import Foundation
import Server
import ServerTesting
import Store
import Testing

/// A database made by the version before tenants (`Fixtures/before-tenants.sqlite`, built by
/// `scripts/make-upgrade-fixture.py` from migrations 0001-0006 and 0010) upgrades in place into the tenant
/// `default`, nothing lost, and the server serves it as before.
struct UpgradeTests {
    /// The fixture's secrets (see the script).
    static let tokenKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let serviceKey = "fsr_upgrade-fixture-service-key-0123456789abcde"
    static let sessionCookie = "fsr_session=upgrade-fixture-session"
    /// A session the launch claims bound to p-1001, as staff.
    static let boundSessionCookie = "fsr_session=upgrade-fixture-bound-session"
    static let tenantScopedTables = [
        "fullscript_connections", "oauth_states", "sessions", "launch_token_uses", "service_keys", "patients", "patient_mappings",
        "staff_practitioner_choices", "recommendations", "webhook_events", "treatment_plans", "audit_log",
    ]

    static func counts(_ database: any SQLDatabase) async throws -> [String: Int] {
        try await database.read { connection in
            var counts: [String: Int] = [:]
            for table in tenantScopedTables {
                counts[table] = try connection.queryFirst("SELECT count(*) AS n FROM \(table)")?.int("n")
            }
            return counts
        }
    }

    /// Email matching could link two EHR patients to one Fullscript patient; a mapping is one to one
    /// now, so the upgrade keeps the oldest link and audits each one it drops.
    @Test func theUpgradeKeepsOneEHRPatientPerFullscriptPatient() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try Database(path: directory.appendingPathComponent("app.sqlite").path)
        defer { database.close() }
        let migrations = try Migrations.load(fromPath: repositoryRoot + "/Migrations", for: .sqlite)
        try await MigrationRunner(database: database, migrations: migrations.filter { $0.version <= 6 || $0.version == 10 }).applyPending()
        try await database.write { connection in
            for (id, created) in [("p-1", "2026-01-02T00:00:00.000Z"), ("p-2", "2026-01-01T00:00:00.000Z"), ("p-3", "2026-01-03T00:00:00.000Z")] {
                try connection.execute("INSERT INTO patients (ehr_patient_id, email, created_at, updated_at) VALUES (?, 'same@example.com', ?, ?)",
                                       [.text(id), .text(created), .text(created)])
                try connection.execute("INSERT INTO patient_mappings VALUES (?, 'fs-1', ?)", [.text(id), .text(created)])
            }
        }
        try await MigrationRunner(database: database, migrations: migrations).applyPending()
        let mappings = try await database.read { connection in
            try connection.query("SELECT tenant_id, ehr_patient_id, fullscript_patient_id FROM patient_mappings") {
                "\(try $0.string("tenant_id"))/\(try $0.string("ehr_patient_id"))→\(try $0.string("fullscript_patient_id"))"
            }
        }
        #expect(mappings == ["default/p-2→fs-1"], "the oldest link stays")
        let dropped = try await database.read { connection in
            try connection.query("SELECT subject, detail FROM audit_log WHERE action = 'patient_mapping.drop' ORDER BY subject") {
                "\(try $0.string("subject"))→\(try $0.string("detail"))"
            }
        }
        #expect(dropped == ["p-1→fs-1", "p-3→fs-1"])
        #expect(try await database.read { try $0.queryFirst("SELECT count(*) AS n FROM patients")?.int("n") } == 3, "every patient stays")
        await #expect(throws: (any Error).self, "one to one from now on") {
            try await database.write { try $0.execute("INSERT INTO patient_mappings VALUES ('default', 'p-1', 'fs-1', 't')") }
        }
    }

    @Test func aDatabaseFromBeforeTenantsUpgradesIntoTheDefaultTenant() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("app.sqlite").path
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Tests/AppTests/Fixtures/before-tenants.sqlite", toPath: path)
        let old = try Database(path: path)
        let before = try await Self.counts(old)
        old.close()
        #expect(before.values.allSatisfy { $0 > 0 }, "the fixture holds one of everything: \(before)")

        let harness = try await ConnectedHarness(key: Self.tokenKey, identity: nil, environment: ["DATABASE_PATH": path])
        try await withHarness(harness) { harness in
            let database = harness.application.database
            #expect(try await Self.counts(database) == before, "nothing lost")
            for table in Self.tenantScopedTables {
                let tenants = try await database.read { connection in
                    try connection.query("SELECT DISTINCT tenant_id FROM \(table)") { try $0.optionalString("tenant_id") ?? "NULL" }
                }
                #expect(tenants == [Tenant.defaultID], "\(table)")
            }
            #expect(try await TenantStore(database: database).list().map(\.id) == [Tenant.defaultID])

            // The service key still works, and the mapping still resolves.
            let patient = try await harness.execute(
                "GET /api/v1/patients/p-1001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.serviceKey)\r\n\r\n"
            )
            #expect(patient.status == 200)
            #expect(try patient.json["fullscript_patient_id"] as? String == "fs-patient-1")

            // The session still signs dr-quinn in, connected, with the plan on the chart.
            let me = try await harness.execute("GET /ehr/api/me HTTP/1.1\r\nHost: x\r\nCookie: \(Self.sessionCookie)\r\n\r\n")
            #expect(me.status == 200)
            let fullscript = try me.json["fullscript"] as? [String: Any]
            #expect(fullscript?["connected"] as? Bool == true)
            #expect(fullscript?["account_name"] as? String == "Avery Quinn")
            // Tokens sealed before tenants still open. Checked before the chart reads its plans: naming their
            // products asks Fullscript's catalog through this connection, and the simulator refuses the
            // fixture's expired token's refresh, which disconnects it.
            let connection = try #require(try await harness.application.vault.connection(for: EHRUser(id: "dr-quinn")))
            #expect(connection.accessToken == "fixture-access")
            #expect(connection.refreshToken == "fixture-refresh")
            let plans = try await harness.execute(
                "GET /ehr/api/patients/p-1001/treatment-plans HTTP/1.1\r\nHost: x\r\nCookie: \(Self.sessionCookie)\r\n\r\n"
            )
            #expect((try plans.json["plans"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["plan-1"])

            // The session bound to one patient stays bound, with its roles.
            let bound = try await harness.execute("GET /ehr/api/me HTTP/1.1\r\nHost: x\r\nCookie: \(Self.boundSessionCookie)\r\n\r\n")
            #expect(bound.status == 200)
            #expect((try bound.json["user"] as? [String: Any])?["patient"] as? String == "p-1001")
            let other = try await harness.execute(
                "GET /ehr/api/patients/p-1002 HTTP/1.1\r\nHost: x\r\nCookie: \(Self.boundSessionCookie)\r\n\r\n"
            )
            #expect(other.status == 403)
        }
    }

    /// 0015 rebuilds `recommendations` to allow 'gateway': every click row stays, with its id, and the
    /// indexes and append-only guards come back.
    @Test func theGatewayLinkKindKeepsEveryClickRowAndItsGuards() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try Database(path: directory.appendingPathComponent("app.sqlite").path)
        defer { database.close() }
        let migrations = try Migrations.load(fromPath: repositoryRoot + "/Migrations", for: .sqlite)
        try await MigrationRunner(database: database, migrations: migrations.filter { $0.version < 14 }).applyPending()
        let columns = "id, tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint, outcome, " +
            "fullscript_request_id, request_id, detail"
        func rows() async throws -> [String] {
            try await database.read { connection in
                try connection.query("SELECT \(columns) FROM recommendations ORDER BY id") { row in
                    "\(try row.int("id"))|" + (try columns.split(separator: ",").dropFirst()
                        .map { try row.optionalString($0.trimmingCharacters(in: .whitespaces)) ?? "-" }.joined(separator: "|"))
                }
            }
        }
        try await database.write { connection in
            try connection.execute("""
                INSERT INTO recommendations (id, tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint,
                                             outcome, fullscript_request_id, request_id, detail)
                VALUES (7, 'default', '2026-01-01T00:00:00.000Z', 'dr-quinn', 'p-1', 'prac-1', 'draft', 'catalog', 'redirected', 'fs-r', 'r-1', NULL),
                       (9, 'default', '2026-01-02T00:00:00.000Z', 'dr-quinn', 'p-2', NULL, NULL, 'labs', 'reconnect_required', NULL, 'r-2', 'why')
                """)
        }
        let before = try await rows()
        try await MigrationRunner(database: database, migrations: migrations).applyPending()
        #expect(try await rows() == before)

        let schema = try await database.read { connection in
            try connection.query("SELECT type, name FROM sqlite_schema WHERE tbl_name = 'recommendations' AND type != 'table' ORDER BY name") {
                "\(try $0.string("type")) \(try $0.string("name"))"
            }
        }
        #expect(schema == ["trigger recommendations_no_delete", "trigger recommendations_no_update", "index recommendations_patient",
                           "index recommendations_user"])
        try await database.write { connection in
            try connection.execute("""
                INSERT INTO recommendations (tenant_id, occurred_at, ehr_user_id, ehr_patient_id, link_kind, outcome)
                VALUES ('default', '2026-01-03T00:00:00.000Z', 'dr-quinn', 'p-3', 'gateway', 'redirected')
                """)
        }
        await #expect(throws: (any Error).self, "still only the kinds there are") {
            try await database.write { connection in
                try connection.execute("""
                    INSERT INTO recommendations (tenant_id, occurred_at, ehr_user_id, ehr_patient_id, link_kind, outcome)
                    VALUES ('default', '2026-01-03T00:00:00.000Z', 'dr-quinn', 'p-3', 'edit', 'redirected')
                    """)
            }
        }
        await #expect(throws: (any Error).self, "still append-only") {
            try await database.write { try $0.execute("DELETE FROM recommendations WHERE id = 7") }
        }
    }
}
