import Foundation
import HTTPClient
import HTTPTypes
public import Logging
import Store
import Cryptography
import Fullscript

/// `fullscript-redirect doctor`: checks what a deployment needs, one line each, with what to fix.
/// Read-only: it applies no migration and changes no row.
public enum Doctor {
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public let ok: Bool
        public let what: String
        /// What to do about it; empty when all is well.
        public let fix: String

        static func good(_ what: String) -> Finding { Finding(ok: true, what: what, fix: "") }
        static func bad(_ what: String, fix: String) -> Finding { Finding(ok: false, what: what, fix: fix) }
        /// Worth fixing, but nothing that stops the server working or exposes data: doctor still passes.
        static func warning(_ what: String, fix: String) -> Finding { Finding(ok: true, what: what, fix: fix) }

        public var isWarning: Bool { ok && !fix.isEmpty }

        public var description: String { (isWarning ? "! " : ok ? "✓ " : "✗ ") + what + (fix.isEmpty ? "" : "\n    fix: " + fix) }
    }

    /// `reachabilityDeadline` bounds the call to Fullscript's API host.
    public static func examine(_ config: AppConfig, logger: Logger, reachabilityDeadline: Duration = .seconds(5)) async -> [Finding] {
        var findings = [Finding.good("configuration: every key valid (Fullscript environment \(config.fullscript.environment.rawValue))")]
        findings.append(config.fullscript.webhook == nil
            ? .good("webhooks: not configured (the endpoint answers 503; set FULLSCRIPT_WEBHOOK_CHALLENGE and FULLSCRIPT_WEBHOOK_SECRET to receive them)")
            : .good("webhooks: challenge and \(config.fullscript.webhook?.secrets.count ?? 0) signature secret(s) set"))
        findings += await database(config)
        findings.append(await reachability(config, logger: logger, deadline: reachabilityDeadline))
        return findings
    }

    private static func database(_ config: AppConfig) async -> [Finding] {
        var findings: [Finding] = []
        if config.database.postgres == nil {
            guard FileManager.default.fileExists(atPath: config.database.path) else {
                return [.bad("database: \(config.database.path) does not exist",
                             fix: "run `fullscript-redirect migrate` (or start the server with database.auto_migrate on)")]
            }
            // Before opening: the modes as the server left them (doctor tightens nothing itself).
            findings.append(DatabaseFiles.inspect(config.database.path))
        }
        let database: any SQLDatabase
        do {
            database = try Application.openDatabase(config.database, securingFiles: false)
        } catch {
            // Both stores' errors name the file or the connection string with its password redacted.
            return findings + [.bad("database: cannot open it: \(error)",
                                    fix: "check the path, its folder's permissions and free space, or the PostgreSQL URL and server")]
        }
        defer { database.close() }
        do {
            findings.append(try await storeCheck(database))
            let runner = MigrationRunner(database: database, migrations: try Migrations.load(fromPath: config.database.migrationsDirectory, for: database.dialect))
            try await runner.verify()
            let pending = try await runner.pending()
            findings.append(pending.isEmpty ? .good("migrations: all applied")
                : .bad("migrations: \(pending.count) pending (\(pending.map(\.fileName).joined(separator: ", ")))",
                       fix: "run `fullscript-redirect migrate`"))
            findings.append(try await sealedTokens(database, keys: config.tokenKeys))
            if pending.isEmpty { findings += try await TenantStore(database: database).list().map(pinnedClinic) }
        } catch {
            findings.append(.bad("database: \(error)", fix: "an applied migration file changed, or the schema is not ours; restore Migrations/ as released"))
        }
        return findings
    }

    /// Which Fullscript clinic each tenant is bound to. Not pinned yet is no fault: a practitioner's first
    /// connection, or the operator, pins it. The clinic's name is Fullscript data: printable only.
    private static func pinnedClinic(_ tenant: Tenant) -> Finding {
        .good("tenant \(tenant.id) (\(tenant.region.rawValue)): Fullscript clinic \(TextTable.printable(tenant.pinnedClinicDescription))")
    }

    /// Every stored token must open with a configured key, or its user is silently disconnected.
    /// SQLite's own check of the file; PostgreSQL keeps its files itself, so it is asked who it is.
    private static func storeCheck(_ database: any SQLDatabase) async throws -> Finding {
        switch database.dialect {
        case .sqlite:
            let integrity = try await database.read { try $0.query("PRAGMA integrity_check") { try $0.string(0) } }
            return integrity == ["ok"] ? .good("database: integrity_check ok")
                : .bad("database: integrity_check reports \(integrity.prefix(3).joined(separator: "; "))",
                       fix: "restore the latest backup; keep the damaged file for analysis")
        case .postgres:
            let version = try await database.read { try $0.queryFirst("SELECT current_setting('server_version')")?.string(0) ?? "?" }
            return .good("database: PostgreSQL \(version) answers at \(database.location)")
        }
    }

    private static func sealedTokens(_ database: any SQLDatabase, keys: TokenKeyRing) async throws -> Finding {
        let rows = try await database.read { connection in
            try connection.query(
                "SELECT tenant_id, ehr_user_id, key_id, access_token FROM fullscript_connections WHERE status = 'connected'"
            ) { row in
                (EHRUser(id: try row.string("ehr_user_id"), tenant: try row.string("tenant_id")), try row.string("key_id"),
                 try row.blob("access_token"))
            }
        }
        let unreadable = rows.filter { user, keyID, sealed in (try? keys.open(sealed, keyID: keyID, field: "access_token", user: user)) == nil }
        guard unreadable.isEmpty else {
            let keyIDs = Set(unreadable.map(\.1)).sorted().joined(separator: ", ")
            return .bad("encryption key: \(unreadable.count) of \(rows.count) stored connection(s) do not open (key id \(keyIDs))",
                        fix: "put the old key in TOKEN_ENCRYPTION_PREVIOUS_KEYS, then run `fullscript-redirect tokens rotate-key`")
        }
        return .good("encryption key: opens all \(rows.count) stored connection(s) (current key id \(keys.current.fingerprint))")
    }

    /// Any HTTP answer from the API base URL proves DNS, TCP, TLS and the trust store.
    private static func reachability(_ config: AppConfig, logger: Logger, deadline: Duration) async -> Finding {
        let base = config.fullscript.endpoints.apiBaseURL
        guard let url = URL(string: base) else {
            return .bad("Fullscript: '\(base)' is not a URL", fix: "set fullscript.api_base_url (FULLSCRIPT_API_BASE_URL)")
        }
        let client: HTTPClient
        do {
            client = try HTTPClient(configuration: config.fullscript.httpClientConfiguration, logger: logger)
        } catch {
            return .bad("Fullscript: cannot set up TLS: \(error)", fix: "check fullscript.ca_file (FULLSCRIPT_CA_FILE)")
        }
        let finding: Finding
        do {
            let response = try await client.execute(HTTPRequest(url: url), deadline: deadline)
            finding = .good("Fullscript: \(base) answered (HTTP \(response.head.status.code))")
        } catch {
            finding = .bad("Fullscript: \(base) unreachable: \(error)",
                           fix: "check DNS and outbound HTTPS from this host (and fullscript.ca_file behind a TLS-inspecting proxy)")
        }
        await client.shutdown()
        return finding
    }
}
