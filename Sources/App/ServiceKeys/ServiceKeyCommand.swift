import Cryptography
import Foundation
import HTTPTypes
public import Logging
import Server
import Store

/// `fullscript-redirect service-keys …`: each command brings the schema up to date first, so it
/// works on a database the server has never opened.
public struct ServiceKeyCommand: Sendable {
    let database: DatabaseSettings
    let logger: Logger

    public init(database: DatabaseSettings, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func create(name: String, tenant: String = Tenant.defaultID, isOperator: Bool = false) async throws -> String {
        let key = try await withStore { try await $0.create(name: name, tenant: tenant, isOperator: isOperator) }
        return """
            Created \(isOperator ? "operator" : "service") key '\(name)' for tenant '\(tenant)':

                \(key)

            Store it now: it will not be shown again. Send it as `Authorization: Bearer <key>`.

            """
    }

    public func list() async throws -> String {
        let keys = try await withStore { try await $0.list() }
        guard !keys.isEmpty else { return "No service keys. Create one with `fullscript-redirect service-keys create NAME`.\n" }
        return TextTable.render([["NAME", "TENANT", "OPERATOR", "CREATED", "LAST USED", "REVOKED"]] + keys.map { key in
            [key.name, key.tenant, key.isOperator ? "yes" : "no", key.createdAt, key.lastUsedAt ?? "never", key.revokedAt ?? "-"]
        })
    }

    public func revoke(name: String) async throws -> String {
        try await withStore { try await $0.revoke(name: name) }
        return "Revoked service key '\(name)'; requests carrying it are refused from now on.\n"
    }

    private func withStore<T: Sendable>(_ body: (ServiceKeyStore) async throws -> T) async throws -> T {
        let database = try await Application.openDatabaseUpToDate(self.database, logger: logger)
        defer { database.close() }
        return try await body(ServiceKeyStore(database: database))
    }
}
