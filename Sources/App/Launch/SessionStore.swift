import Cryptography
import Foundation
import Server
import Store
import HTTPTypes

/// Server-side sessions behind the `fsr_session` cookie. The cookie carries 256 random bits; the
/// table keeps only their hash, the user, and the idle and absolute expiry.
struct SessionStore: EHRIdentityProvider {
    let database: any SQLDatabase
    let settings: EHRSettings
    let now: @Sendable () -> Date
    /// nil where another process may write `sessions` (`RecentSessions` says why).
    let recent: RecentSessions?
    /// Where `recent` is nil, and so each request reads its session: whom it named, for `identify(_:readingAlong:)`.
    let seen: SeenSessions?

    init(database: any SQLDatabase, settings: EHRSettings, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.settings = settings
        self.now = now
        recent = database.dialect == .sqlite ? RecentSessions() : nil
        seen = recent == nil ? SeenSessions() : nil
    }

    static let cookieName = "fsr_session"
    /// Idle expiry is extended at most this often, so a busy user does not cost a write per request.
    static let touchInterval: TimeInterval = 60

    var cookie: Cookie {
        Cookie(name: Self.cookieName, sameSite: .strict, secure: settings.secureCookies)
    }

    enum Start: Sendable, Equatable {
        /// The new session's cookie value.
        case started(String)
        case tokenReused
        /// The token names a tenant this deployment does not serve: nothing is stored but the audit row.
        case unknownTenant
    }

    /// Starts a session for the holder of launch token `tokenID`. Marking the token used and creating
    /// the session are one transaction, so two racing launches with one token cannot both sign in.
    func create(for user: EHRUser, tokenID: String, tokenExpiresAt: Int64, requestID: String?) async throws -> Start {
        let value = Base64URL.encode(SecureRandom.bytes(count: 32))
        let date = now()
        let seconds = Int64(date.timeIntervalSince1970)
        let absolute = seconds + Int64(settings.sessionAbsoluteTimeout)
        return try await database.write { connection throws -> Start in
            guard try connection.queryFirst("SELECT 1 FROM tenants WHERE id = ?", [.text(user.tenant)]) != nil else {
                try AuditEntry(tenant: nil, actor: user.id, action: "session.start", outcome: "unknown_tenant", requestID: requestID,
                               detail: user.tenant).insert(into: connection, at: date)
                return .unknownTenant
            }
            try connection.execute(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?",
                [.integer(seconds), .integer(seconds - Int64(settings.sessionIdleTimeout))]
            )
            // Only jtis no token could still be accepted with: a row whose `exp` (stored rounded up)
            // is before the floor, rounded down, belongs to a token the verifier refuses.
            let forgettable = Int64(LaunchToken.acceptedExpiryFloor(at: date).rounded(.down))
            try connection.execute("DELETE FROM launch_token_uses WHERE expires_at < ?", [.integer(forgettable)])
            let fresh = try connection.execute(
                """
                INSERT INTO launch_token_uses (jti, tenant_id, ehr_user_id, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (jti) DO NOTHING
                """,
                [.text(tokenID), .text(user.tenant), .text(user.id), .integer(tokenExpiresAt)]
            )
            // What the session may do outlives the session row: the audit trail says it.
            let audit = AuditEntry(tenant: user.tenant, actor: user.id, action: "session.start", subject: user.patient,
                                   outcome: fresh == 1 ? "ok" : "launch_token_reused", requestID: requestID,
                                   detail: user.roles.map { "roles=" + EHRRole.names($0).joined(separator: ",") })
            try audit.insert(into: connection, at: date)
            guard fresh == 1 else { return .tokenReused }
            try connection.execute(
                """
                INSERT INTO sessions (id_hash, tenant_id, ehr_user_id, display_name, created_at, last_seen_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(Self.hash(value)), .text(user.tenant), .text(user.id), DatabaseValue(user.name), .integer(seconds),
                 .integer(seconds), .integer(absolute)]
            )
            try Self.storeClaims(of: user, session: Self.hash(value), in: connection)
            return .started(value)
        }
    }

    /// A live session found for a request's cookie, kept in the request's context by `identify`.
    struct Found: Sendable {
        let hash: String
        let user: EHRUser
        let lastSeen: Int64
        let expiresAt: Int64

        /// What the read asks of a row: neither past its absolute expiry nor idle too long.
        func isLive(at seconds: Int64, idleTimeout: TimeInterval) -> Bool {
            expiresAt > seconds && lastSeen > seconds - Int64(idleTimeout)
        }
    }

    // Errors propagate: a session we could not read or stamp (the database busy past its timeout,
    // say) is the 503 or 500 it is, never "not signed in" and so never a sign-in page.
    func user(for request: Request) async throws -> EHRUser? {
        if let found = request.context[Found.self] {
            return try await touched(found)
        }
        guard let value = cookie.value(in: request.head.headerFields), let found = try await find(Self.hash(value)) else { return nil }
        return try await touched(found)
    }

    func userWithoutActivity(for request: Request) async throws -> EHRUser? {
        guard let value = cookie.value(in: request.head.headerFields) else { return nil }
        return try await find(Self.hash(value))?.user
    }

    func identify(_ request: inout Request) async throws -> EHRUser? {
        // Every middleware of a group asks; the first one's answer serves the rest.
        if let found = request.context[Found.self] { return found.user }
        guard let value = cookie.value(in: request.head.headerFields), let found = try await find(Self.hash(value)) else { return nil }
        request.context[Found.self] = found
        return found.user
    }

    /// `identify`, with `reads` of the user's sent in the round trip that reads the session, where each request reads
    /// it (`seen`). Which user that is, this process learned when it last read the cookie's session: the rows are
    /// the caller's only when the session read with them, in the same snapshot, names that same user. So a session
    /// ended anywhere is refused as at once as without them, and nothing of the earlier read is trusted but which
    /// statements to send. nil: the caller reads for itself, with the user in `request.context` as `identify` leaves it.
    func identify(_ request: inout Request, readingAlong reads: (EHRUser) -> [SQLStatement]) async throws -> (user: EHRUser, rows: [[Row]])? {
        guard request.context[Found.self] == nil, let seen, let value = cookie.value(in: request.head.headerFields),
              case let hash = Self.hash(value), let named = seen[hash] else {
            _ = try await identify(&request)
            return nil
        }
        let (found, rows) = try await find(hash, along: reads(named))
        guard let found else { return nil }
        request.context[Found.self] = found
        return found.user == named ? (found.user, rows) : nil
    }

    private func find(_ hash: String) async throws -> Found? {
        let seconds = Int64(now().timeIntervalSince1970)
        if let found = recent?[hash], found.isLive(at: seconds, idleTimeout: settings.sessionIdleTimeout) { return found }
        let generation = recent?.generation ?? 0
        let found = try await find(hash, along: []).found
        if let found { recent?.remember(found, readAt: generation) }
        return found
    }

    /// The session read from the store, in one snapshot with `along`'s rows.
    private func find(_ hash: String, along: [SQLStatement]) async throws -> (found: Found?, rows: [[Row]]) {
        let seconds = Int64(now().timeIntervalSince1970)
        var rows = try await database.briefRead([SQLStatement(
            """
            SELECT tenant_id, ehr_user_id, display_name, last_seen_at, expires_at, patient_id, roles FROM sessions
            WHERE id_hash = ? AND expires_at > ? AND last_seen_at > ?
            """,
            [.text(hash), .integer(seconds), .integer(seconds - Int64(settings.sessionIdleTimeout))]
        )] + along)
        let found = try rows.removeFirst().first.map {
            Found(hash: hash, user: EHRUser(id: try $0.string("ehr_user_id"), name: try $0.optionalString("display_name"),
                                            tenant: try $0.string("tenant_id"), patient: try $0.optionalString("patient_id"),
                                            roles: Self.roles(try $0.optionalString("roles"))),
                  lastSeen: try $0.int64("last_seen_at"), expiresAt: try $0.int64("expires_at"))
        }
        seen?.saw(hash, naming: found?.user)
        return (found, rows)
    }

    /// Extends the idle expiry, at most every `touchInterval`: a request is the user's activity.
    private func touched(_ found: Found) async throws -> EHRUser {
        let seconds = Int64(now().timeIntervalSince1970)
        if seconds - found.lastSeen >= Int64(Self.touchInterval) {
            // Only forward: two touches may commit in either order.
            let changed = try await database.write { connection in
                try connection.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?",
                                       [.integer(seconds), .text(found.hash), .integer(seconds)])
            }
            // No row changed: the session is gone (ended, or swept as idle), or a later touch already moved it;
            // either way the next request reads the row again.
            if changed == 1 { recent?.touched(found.hash, at: seconds) } else { recent?.forget(found.hash) }
        }
        return found.user
    }

    func end(_ request: Request) async throws -> EHRUser? {
        guard let value = cookie.value(in: request.head.headerFields) else { return nil }
        let hash = Self.hash(value)
        let date = now()
        // After the write, committed or not: a read racing it may have kept the session just before.
        defer {
            recent?.forget(hash)
            seen?.saw(hash, naming: nil)
        }
        return try await database.write { connection in
            guard let row = try connection.queryFirst("SELECT tenant_id, ehr_user_id FROM sessions WHERE id_hash = ?", [.text(hash)]) else {
                return nil
            }
            let user = EHRUser(id: try row.string("ehr_user_id"), tenant: try row.string("tenant_id"))
            try connection.execute("DELETE FROM sessions WHERE id_hash = ?", [.text(hash)])
            try AuditEntry(tenant: user.tenant, actor: user.id, action: "session.end", outcome: "ok", requestID: request.id)
                .insert(into: connection, at: date)
            return user
        }
    }

    /// The launch token's `patient` and `roles` (migration 0010), NULL where the token had no such claim.
    private static func storeClaims(of user: EHRUser, session hash: String, in connection: any SQLConnection) throws {
        guard user.patient != nil || user.roles != nil else { return }
        try connection.execute(
            "UPDATE sessions SET patient_id = ?, roles = ? WHERE id_hash = ?",
            [DatabaseValue(user.patient), DatabaseValue(user.roles.map { EHRRole.names($0).joined(separator: " ") }), .text(hash)]
        )
    }

    /// Stored roles back; a name this version does not know grants nothing, so the session can only read.
    private static func roles(_ stored: String?) -> Set<EHRRole>? {
        stored.map { Set($0.split(separator: " ").compactMap { EHRRole(rawValue: String($0)) }) }
    }

    static func hash(_ value: String) -> String {
        SHA256.hexDigest(Array(value.utf8))
    }
}
