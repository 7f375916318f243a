@testable import App
import Cryptography
import Foundation
import HTTPTypes
import Server
import Store
import Testing

struct ServiceKeysTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func config(autoMigrate: Bool = true) async throws -> AppConfig {
        var environment = ApplicationTests.environment(directory)
        environment["DATABASE_AUTO_MIGRATE"] = autoMigrate ? "true" : "false"
        return try await AppConfig.load(directory: repositoryRoot + "/config", environment: environment)
    }

    /// A migrated database and a store on a clock the test moves.
    func withStore(_ body: (ServiceKeyStore, any SQLDatabase, TestClock) async throws -> Void) async throws {
        let database = try Application.openDatabase(try await config().database)
        defer { database.close() }
        let runner = MigrationRunner(
            database: database, migrations: try Migrations.load(fromPath: repositoryRoot + "/Migrations", for: database.dialect), logger: ApplicationTests.quietLogger
        )
        try await runner.applyPending()
        let clock = TestClock()
        try await body(ServiceKeyStore(database: database, now: { clock.now() }), database, clock)
    }

    static func request(authorization: String?) -> Request {
        var fields = HTTPFields()
        if let authorization { fields[.authorization] = authorization }
        return Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/api/v1/patients/p-1", headerFields: fields))
    }

    static func rows(_ database: any SQLDatabase, _ sql: String) async throws -> [Row] {
        try await database.read { try $0.query(sql) }
    }

    @Test func createsAKeyStoredOnlyAsItsHash() async throws {
        try await withStore { store, database, _ in
            let key = try await store.create(name: "billing-sync", tenant: Tenant.defaultID)
            #expect(key.hasPrefix("fsr_"))
            let random = try #require(Base64URL.decode(String(key.dropFirst(4))))
            #expect(random.count == 32)
            let other = try await store.create(name: "scheduler", tenant: Tenant.defaultID)
            #expect(other != key)

            let row = try #require(try await Self.rows(database, "SELECT * FROM service_keys WHERE name = 'billing-sync'").first)
            #expect(try row.string("key_hash") == SHA256.hexDigest(Array(key.utf8)))
            #expect(try row.optionalString("last_used_at") == nil)
            #expect(try row.optionalString("revoked_at") == nil)
            let everything = try await Self.rows(database, "SELECT * FROM service_keys").flatMap(\.values)
            #expect(!everything.contains { "\($0)".contains(key.dropFirst(4)) })
        }
    }

    @Test func refusesBadAndTakenNames() async throws {
        try await withStore { store, database, _ in
            for name in ["", String(repeating: "a", count: 65), "two words", "slash/name", "émile", "semi;colon"] {
                await #expect(throws: ServiceKeyError.invalidName(name)) { try await store.create(name: name, tenant: Tenant.defaultID) }
            }
            _ = try await store.create(name: String(repeating: "a", count: 64), tenant: Tenant.defaultID)
            _ = try await store.create(name: "Ops.sync_2-b", tenant: Tenant.defaultID)
            _ = try await store.create(name: "billing", tenant: Tenant.defaultID)
            await #expect(throws: ServiceKeyError.nameTaken("billing")) { try await store.create(name: "billing", tenant: Tenant.defaultID) }
            try await store.revoke(name: "billing")
            await #expect(throws: ServiceKeyError.nameTaken("billing")) { try await store.create(name: "billing", tenant: Tenant.defaultID) }
            #expect(try await Self.rows(database, "SELECT * FROM service_keys").count == 3)
            #expect(ServiceKeyError.nameTaken("billing").description.contains("already exists"))
        }
    }

    @Test func listsKeysWithoutTheirSecrets() async throws {
        try await withStore { store, _, clock in
            _ = try await store.create(name: "zeta", tenant: Tenant.defaultID)
            let key = try await store.create(name: "alpha", tenant: Tenant.defaultID)
            clock.advance(by: 5)
            _ = try await store.authenticate(Self.request(authorization: "Bearer " + key))
            try await store.revoke(name: "zeta")
            let keys = try await store.list()
            #expect(keys.map(\.name) == ["alpha", "zeta"])
            #expect(keys[0].lastUsedAt != nil && keys[0].revokedAt == nil)
            #expect(keys[1].lastUsedAt == nil && keys[1].revokedAt != nil)
            #expect(keys[0].lastUsedAt! > keys[0].createdAt)
        }
    }

    @Test func revokesAndAuditsAsTheOperator() async throws {
        try await withStore { store, database, _ in
            let key = try await store.create(name: "billing", tenant: Tenant.defaultID)
            #expect(try await store.authenticate(Self.request(authorization: "Bearer " + key)) == ServiceCaller(name: "billing", tenant: Tenant.defaultID))
            try await store.revoke(name: "billing")
            #expect(try await store.authenticate(Self.request(authorization: "Bearer " + key)) == nil)
            await #expect(throws: ServiceKeyError.alreadyRevoked("billing")) { try await store.revoke(name: "billing") }
            await #expect(throws: ServiceKeyError.unknown("nobody")) { try await store.revoke(name: "nobody") }

            let audit = try await Self.rows(database, "SELECT * FROM audit_log ORDER BY id")
            #expect(try audit.map { try $0.string("action") } == ["service_key.create", "service_key.revoke"])
            #expect(try audit.allSatisfy { try $0.string("actor") == "operator" && $0.optionalString("subject") == "billing" })
            #expect(try audit.map { try $0.string("outcome") } == ["created", "revoked"])
            #expect(try audit.allSatisfy { try $0.optionalString("detail") == nil })
        }
    }

    @Test func authenticatesOnlyAWellFormedLiveBearerKey() async throws {
        try await withStore { store, _, _ in
            let key = try await store.create(name: "billing", tenant: Tenant.defaultID)
            let caller = ServiceCaller(name: "billing", tenant: Tenant.defaultID)
            for header in ["Bearer " + key, "bearer " + key, "BEARER   " + key, "Bearer " + key + " "] {
                #expect(try await store.authenticate(Self.request(authorization: header)) == caller, "\(header)")
            }
            let other = "fsr_" + Base64URL.encode(SecureRandom.bytes(count: 32))
            for header in [nil, "", "Bearer", "Bearer ", "Basic " + key, key, "Bearer " + other, "Bearer " + key + "x",
                           "Bearer " + String(key.dropFirst(4)), "Bearer " + key.uppercased()] {
                #expect(try await store.authenticate(Self.request(authorization: header)) == nil, "\(header ?? "nil")")
            }
            #expect(caller.auditActor == "service:billing")
        }
    }

    @Test func recordsUseAtMostOnceAMinute() async throws {
        try await withStore { store, database, clock in
            let key = try await store.create(name: "billing", tenant: Tenant.defaultID)
            let request = Self.request(authorization: "Bearer " + key)
            func lastUsed() async throws -> String? {
                try await Self.rows(database, "SELECT last_used_at FROM service_keys").first?.optionalString("last_used_at")
            }
            _ = try await store.authenticate(request)
            let first = try #require(try await lastUsed())
            clock.advance(by: 30)
            _ = try await store.authenticate(request)
            #expect(try await lastUsed() == first)
            clock.advance(by: 31)
            _ = try await store.authenticate(request)
            let second = try #require(try await lastUsed())
            #expect(second > first)
        }
    }

    func command(autoMigrate: Bool = true) async throws -> ServiceKeyCommand {
        ServiceKeyCommand(database: try await config(autoMigrate: autoMigrate).database, logger: ApplicationTests.quietLogger)
    }

    @Test func commandsWorkOnAFreshDatabase() async throws {
        let config = try await config()
        let keys = try await command()
        #expect(!FileManager.default.fileExists(atPath: config.database.path))
        #expect(try await keys.list().contains("No service keys"))

        let created = try await keys.create(name: "billing", tenant: Tenant.defaultID)
        #expect(created.contains("will not be shown again"))
        let key = try #require(created.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("fsr_") })
        #expect(key.count == 47)

        let listed = try await keys.list()
        #expect(listed.contains("billing") && listed.contains("never"))
        #expect(!listed.contains(key))

        #expect(try await keys.revoke(name: "billing").contains("Revoked"))
        let afterRevoke = try await keys.list()
        let billing = try #require(afterRevoke.split(separator: "\n").last)
        #expect(billing.hasPrefix("billing") && billing.hasSuffix("Z"))
        await #expect(throws: ServiceKeyError.unknown("nobody")) { try await keys.revoke(name: "nobody") }
    }

    @Test func commandsRefuseAStaleSchemaWhenAutoMigrationIsOff() async throws {
        await #expect(throws: StartupError.self) {
            _ = try await command(autoMigrate: false).create(name: "billing")
        }
    }
}
