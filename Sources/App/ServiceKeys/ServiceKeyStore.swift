import Cryptography
import Foundation
import HTTPTypes
import Logging
import Server
import Store

/// Credentials of the internal services that call `/api/v1`. A key is 256 random bits shown once;
/// only its SHA-256 is stored, so a copy of the database lets nobody call the API.
struct ServiceKeyStore: Sendable {
    let database: any SQLDatabase
    var now: @Sendable () -> Date = Date.init

    static let prefix = "fsr_"
    static let maxNameLength = 64
    /// `last_used_at` is for operators deciding what to revoke; minute precision is plenty, and it
    /// keeps an authenticated request a read, not a write, nearly every time.
    static let lastUsedResolution: TimeInterval = 60
    private static let keyLength = prefix.utf8.count + 43  // 32 bytes in unpadded base64url

    /// Creates a key of `tenant` (an operator key with `isOperator`) and returns it; this is the only
    /// time it exists outside the caller's hands.
    func create(name: String, tenant: String, isOperator: Bool = false) async throws -> String {
        guard Self.isValidName(name) else { throw ServiceKeyError.invalidName(name) }
        let key = Self.prefix + Base64URL.encode(SecureRandom.bytes(count: 32))
        let date = now()
        try await database.write { connection in
            guard try connection.queryFirst("SELECT 1 FROM tenants WHERE id = ?", [.text(tenant)]) != nil else {
                throw ServiceKeyError.unknownTenant(tenant)
            }
            guard try connection.queryFirst("SELECT 1 FROM service_keys WHERE name = ?", [.text(name)]) == nil else {
                throw ServiceKeyError.nameTaken(name)
            }
            try connection.execute(
                "INSERT INTO service_keys (tenant_id, name, key_hash, created_at, operator) VALUES (?, ?, ?, ?, ?)",
                [.text(tenant), .text(name), .text(Self.hash(key)), .text(Timestamp.iso8601(date)), .integer(isOperator ? 1 : 0)]
            )
            try Self.audit("service_key.create", name, tenant: tenant, outcome: isOperator ? "created_operator" : "created")
                .insert(into: connection, at: date)
        }
        return key
    }

    func list() async throws -> [ServiceKeyInfo] {
        try await database.read { connection in
            try connection.query("SELECT tenant_id, name, operator, created_at, last_used_at, revoked_at FROM service_keys ORDER BY name") { row in
                ServiceKeyInfo(
                    name: try row.string("name"), tenant: try row.string("tenant_id"), isOperator: try row.int("operator") == 1,
                    createdAt: try row.string("created_at"),
                    lastUsedAt: try row.optionalString("last_used_at"), revokedAt: try row.optionalString("revoked_at")
                )
            }
        }
    }

    /// Takes effect on the next request: nothing caches a key's validity.
    func revoke(name: String) async throws {
        let date = now()
        try await database.write { connection in
            guard let row = try connection.queryFirst("SELECT tenant_id, revoked_at FROM service_keys WHERE name = ?", [.text(name)]) else {
                throw ServiceKeyError.unknown(name)
            }
            guard try row.optionalString("revoked_at") == nil else { throw ServiceKeyError.alreadyRevoked(name) }
            try connection.execute(
                "UPDATE service_keys SET revoked_at = ? WHERE name = ?", [.text(Timestamp.iso8601(date)), .text(name)]
            )
            try Self.audit("service_key.revoke", name, tenant: try row.string("tenant_id"), outcome: "revoked").insert(into: connection, at: date)
        }
    }

    /// The caller named by `Authorization: Bearer <key>`, or nil for a missing, malformed, unknown or
    /// revoked key. The lookup is by hash, so timing reveals nothing about the stored keys.
    func authenticate(_ request: Request) async throws -> ServiceCaller? {
        if let known = request.context[ServiceCaller.self] { return known }
        guard let key = Self.bearerToken(request.head.headerFields), key.utf8.count == Self.keyLength, key.hasPrefix(Self.prefix) else {
            return nil
        }
        let hash = Self.hash(key)
        let found = try await database.read { connection in
            try connection.queryFirst(
                "SELECT tenant_id, name, operator, last_used_at FROM service_keys WHERE key_hash = ? AND revoked_at IS NULL", [.text(hash)]
            ).map {
                (caller: ServiceCaller(name: try $0.string("name"), tenant: try $0.string("tenant_id"), isOperator: try $0.int("operator") == 1),
                 lastUsedAt: try $0.optionalString("last_used_at"))
            }
        }
        guard let found else { return nil }
        let date = now()
        // Our stamps are fixed-width UTC ISO 8601, so comparing the text compares the instants.
        let staleBefore = Timestamp.iso8601(date.addingTimeInterval(-Self.lastUsedResolution))
        if found.lastUsedAt.map({ $0 < staleBefore }) ?? true {
            _ = try await database.write { connection in
                try connection.execute(
                    "UPDATE service_keys SET last_used_at = ? WHERE key_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                    [.text(Timestamp.iso8601(date)), .text(hash), .text(staleBefore)]
                )
            }
        }
        return found.caller
    }

    /// `authenticate`, leaving the caller in the request's context for the route.
    func identify(_ request: inout Request) async throws -> ServiceCaller? {
        let caller = try await authenticate(request)
        request.context[ServiceCaller.self] = caller
        return caller
    }

    static func isValidName(_ name: String) -> Bool {
        ASCII.isPlainIdentifier(name, maxLength: maxNameLength, marks: "._-")
    }

    /// RFC 9110 §11.1: the scheme is case-insensitive; one or more spaces separate it from the token.
    static func bearerToken(_ fields: HTTPFields) -> String? {
        guard let value = fields[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func hash(_ key: String) -> String {
        SHA256.hexDigest(Array(key.utf8))
    }

    private static func audit(_ action: String, _ name: String, tenant: String, outcome: String) -> AuditEntry {
        AuditEntry(tenant: tenant, actor: "operator", action: action, subject: name, outcome: outcome, requestID: nil, detail: nil)
    }
}

extension ServiceKeyStore {
    /// For `/api/v1`. The key is checked before anything else, so a caller
    /// without one learns nothing about the request, not even whether its patient id is well formed.
    func authorizedRequest(
        _ request: Request, _ handler: (Request, ServiceCaller) async throws -> Response
    ) async throws -> Response {
        guard let caller = try await authenticate(request) else {
            let presented = Self.bearerToken(request.head.headerFields) != nil
            var response = APIError.response(
                .unauthorized, code: "unauthorized",
                message: presented ? "The service key is not valid or has been revoked."
                    : "Send a service key as `Authorization: Bearer <key>` (create one with `fullscript-redirect service-keys create NAME`).",
                requestID: request.id
            )
            // RFC 6750 §3: say which scheme, and whether the presented token was the problem.
            response.headerFields[.wwwAuthenticate] = presented ? #"Bearer error="invalid_token""# : "Bearer"
            return response
        }
        return try await handler(request, caller)
    }

    /// `authorizedRequest` for what spans every tenant (`service-keys create NAME --operator`): any
    /// other key is a 403 saying which key would do, `only` naming what it does ("lists tenants").
    func authorizedOperatorRequest(
        _ request: Request, only: String, _ handler: (Request) async throws -> Response
    ) async throws -> Response {
        try await authorizedRequest(request) { request, caller in
            guard caller.isOperator else {
                return APIError.response(.forbidden, code: "operator_key_required",
                                         message: "Only an operator key (`service-keys create NAME --operator`) \(only).",
                                         requestID: request.id)
            }
            return try await handler(request)
        }
    }

    /// `authorizedRequest` for routes naming a patient: a bad `:ehrPatientId` is a 400, after the key is checked.
    func authorizedPatientRequest(
        _ request: Request, _ handler: (Request, ServiceCaller, String) async throws -> Response
    ) async throws -> Response {
        try await authorizedRequest(request) { request, caller in
            guard let id = request.parameters["ehrPatientId"], PatientRecord.isValidID(id) else {
                return APIError.response(
                    .badRequest, code: "invalid_patient_id",
                    message: "A patient id is 1 to \(PatientRecord.maxIDLength) characters among A-Z a-z 0-9 . _ : -",
                    requestID: request.id
                )
            }
            return try await handler(request, caller, id)
        }
    }
}
