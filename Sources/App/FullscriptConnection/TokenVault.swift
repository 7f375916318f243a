import Foundation
import Fullscript
import Locking
import Logging
import Store
import Synchronization
import Cryptography

/// The OAuth tokens of every EHR user, per (tenant, user), sealed at rest, and a valid access token
/// on demand: refreshed ahead of expiry, one refresh per user however many clicks wait for it.
public final class TokenVault: Sendable {
    private let database: any SQLDatabase
    private let keys: TokenKeyRing
    private let clients: FullscriptClients
    private let now: @Sendable () -> Date
    /// One refresh per user at a time: concurrent clicks await the refresh already under way.
    private let flights = SingleFlight<FullscriptConnection>()
    private let metrics: AppMetrics
    private let logger: Logger
    /// Refresh this long before expiry, so a token never dies between our check and Fullscript's.
    static let refreshMargin: TimeInterval = 300

    init(
        database: any SQLDatabase, keys: TokenKeyRing, clients: FullscriptClients, metrics: AppMetrics, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.database = database
        self.keys = keys
        self.clients = clients
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    /// Saves `token` for `user`. `holder` nil keeps the name already stored for the same Fullscript
    /// account, and forgets it for another one; `connecting` (not a refresh) restarts "connected since".
    /// `clinicID`, the account's clinic, is known when connecting; nil keeps what is recorded.
    func store(_ token: OAuthToken, holder: AccountHolder?, clinicID: String? = nil, for user: EHRUser, requestID: String?,
               connecting: Bool) async throws {
        let keys = keys
        let date = now()
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO fullscript_connections AS c (ehr_user_id, resource_owner_id, resource_owner_type, scope, access_token,
                    refresh_token, key_id, access_expires_at, status, created_at, updated_at, resource_owner_first_name,
                    resource_owner_last_name, connected_at, tenant_id, fullscript_clinic_id)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'connected', ?9, ?9, ?10, ?11, ?9, ?13, ?14)
                ON CONFLICT (tenant_id, ehr_user_id) DO UPDATE SET
                    fullscript_clinic_id = coalesce(?14, c.fullscript_clinic_id),
                    resource_owner_first_name = CASE WHEN ?10 IS NOT NULL THEN ?10
                        WHEN c.resource_owner_id = excluded.resource_owner_id AND c.resource_owner_type = excluded.resource_owner_type
                        THEN c.resource_owner_first_name END,
                    resource_owner_last_name = CASE WHEN ?10 IS NOT NULL THEN ?11
                        WHEN c.resource_owner_id = excluded.resource_owner_id AND c.resource_owner_type = excluded.resource_owner_type
                        THEN c.resource_owner_last_name END,
                    connected_at = CASE WHEN ?12 = 1 OR c.connected_at IS NULL THEN excluded.connected_at ELSE c.connected_at END,
                    resource_owner_id = excluded.resource_owner_id,
                    resource_owner_type = excluded.resource_owner_type, scope = excluded.scope,
                    access_token = excluded.access_token, refresh_token = excluded.refresh_token, key_id = excluded.key_id,
                    access_expires_at = excluded.access_expires_at, status = 'connected', updated_at = excluded.updated_at
                """,
                [.text(user.id), .text(token.resourceOwner.id), .text(token.resourceOwner.type.rawValue),
                 .text(token.scope.joined(separator: " ")),
                 .blob(keys.seal(token.accessToken, field: "access_token", user: user)),
                 .blob(keys.seal(token.refreshToken, field: "refresh_token", user: user)),
                 .text(keys.current.fingerprint), .integer(Int64(token.expiresAt.timeIntervalSince1970)),
                 .text(Timestamp.iso8601(date)), DatabaseValue(holder?.firstName), DatabaseValue(holder?.lastName),
                 .integer(connecting ? 1 : 0), .text(user.tenant), DatabaseValue(clinicID)]
            )
            try AuditEntry(tenant: user.tenant, actor: user.id, action: "fullscript.connect", subject: token.resourceOwner.id, outcome: "connected",
                           requestID: requestID, detail: token.resourceOwner.type.rawValue).insert(into: connection, at: date)
        }
    }

    /// The person `owner` is, from their practitioner or staff record; nil when Fullscript does not
    /// say (the connection stands without a name, and the next refresh asks again).
    func lookUpHolder(of owner: ResourceOwner, accessToken: String, for user: EHRUser) async -> AccountHolder? {
        guard let client = try? await clients.client(for: user.tenant) else { return nil }
        do throws(FullscriptError) {
            switch owner.type {
            case .practitioner:
                let practitioner = try await client.practitioner(accessToken: accessToken, id: owner.id)
                return AccountHolder(firstName: practitioner.firstName, lastName: practitioner.lastName)
            case .staff:
                let staff = try await client.staffMember(accessToken: accessToken, id: owner.id)
                return AccountHolder(firstName: staff.firstName, lastName: staff.lastName)
            }
        } catch {
            logger.warning("fullscript account name lookup failed", metadata: [
                "tenant": "\(user.tenant)", "user": "\(user.id)", "error": "\(error.kind.metricLabel)",
                "status": "\(error.status.map(String.init) ?? "-")",
                "fullscript_request_id": "\(error.requestID ?? "-")",
            ])
            return nil
        }
    }

    /// `user`'s connection as they may see it, or nil when not connected.
    func account(of user: EHRUser) async throws -> ConnectedAccount? {
        try await database.read { connection in
            guard let row = try connection.queryFirst(
                "SELECT * FROM fullscript_connections WHERE tenant_id = ? AND ehr_user_id = ? AND status = 'connected'",
                [.text(user.tenant), .text(user.id)]
            ), let type = ResourceOwner.Kind(rawValue: try row.string("resource_owner_type")) else { return nil }
            let holder = try row.optionalString("resource_owner_first_name").flatMap { first in
                try row.optionalString("resource_owner_last_name").map { AccountHolder(firstName: first, lastName: $0) }
            }
            return ConnectedAccount(
                type: type, holder: holder,
                connectedAt: try row.optionalString("connected_at") ?? row.string("created_at"),
                scope: try row.string("scope").split(separator: " ").map(String.init)
            )
        }
    }

    /// nil also for a connection of another clinic than its tenant's pin: it is never used.
    func connection(for user: EHRUser) async throws -> FullscriptConnection? {
        try await stored(for: user)?.connection
    }

    private func stored(for user: EHRUser) async throws -> StoredConnection? {
        try opened(try await database.briefReadFirst(Self.readingStored(for: user)), for: user)
    }

    /// The read `opened` takes its row from, for a caller that reads it with others (`ClickRead`).
    static func readingStored(for user: EHRUser) -> SQLStatement {
        SQLStatement(selectStored, [.text(user.tenant), .text(user.id)])
    }

    private static let selectStored = """
        SELECT c.key_id, c.resource_owner_type, c.resource_owner_id, c.access_token, c.refresh_token,
               c.access_expires_at, c.fullscript_clinic_id
        FROM fullscript_connections c JOIN tenants t ON t.id = c.tenant_id
        WHERE c.tenant_id = ? AND c.ehr_user_id = ? AND c.status = 'connected' AND \(ofThePinnedClinic)
        """

    /// `user`'s usable connection, from the row `readingStored` found, with its tokens opened.
    func opened(_ row: Row?, for user: EHRUser) throws -> StoredConnection? {
        guard let row else { return nil }
        let keyID = try row.string("key_id")
        guard let type = ResourceOwner.Kind(rawValue: try row.string("resource_owner_type")) else { return nil }
        return StoredConnection(
            connection: FullscriptConnection(
                user: user,
                resourceOwner: ResourceOwner(id: try row.string("resource_owner_id"), type: type),
                accessToken: try keys.open(try row.blob("access_token"), keyID: keyID, field: "access_token", user: user),
                refreshToken: try keys.open(try row.blob("refresh_token"), keyID: keyID, field: "refresh_token", user: user),
                accessExpiresAt: Date(timeIntervalSince1970: TimeInterval(try row.int64("access_expires_at")))
            ),
            clinicUnrecorded: try row.optionalString("fullscript_clinic_id") == nil
        )
    }

    /// Whether `user` is connected, and as whom, without opening the tokens.
    func resourceOwnerType(of user: EHRUser) async throws -> ResourceOwner.Kind? {
        try await database.read { connection in
            try connection.queryFirst(
                "SELECT resource_owner_type FROM fullscript_connections WHERE tenant_id = ? AND ehr_user_id = ? AND status = 'connected'",
                [.text(user.tenant), .text(user.id)]
            ).flatMap { ResourceOwner.Kind(rawValue: try $0.string("resource_owner_type")) }
        }
    }

    /// The tenant's connected users (of `kind`, when given), oldest connection first, except that the user signed
    /// in to Fullscript as `resourceOwnerID` comes first: for work done on nobody's click, such as
    /// processing a webhook or reconciling, whose token is best placed to see the record.
    func connectedUsers(in tenant: String, preferring resourceOwnerID: String? = nil, kind: ResourceOwner.Kind? = nil) async throws -> [EHRUser] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT c.ehr_user_id FROM fullscript_connections c JOIN tenants t ON t.id = c.tenant_id
                WHERE c.tenant_id = ?3 AND c.status = 'connected' AND (CAST(?1 AS TEXT) IS NULL OR c.resource_owner_type = ?1) AND \(Self.ofThePinnedClinic)
                ORDER BY CASE WHEN c.resource_owner_id = ?2 THEN 1 ELSE 0 END DESC, c.created_at, c.ehr_user_id
                """,
                [DatabaseValue(kind?.rawValue), DatabaseValue(resourceOwnerID), .text(tenant)]
            ) { EHRUser(id: try $0.string("ehr_user_id"), tenant: tenant) }
        }
    }

    /// Runs `call` with the connection's access token. A 401 means the token died early (revoked,
    /// or the clock lied): one refresh, one retry.
    func withFreshToken<T: Sendable>(_ connection: FullscriptConnection, _ call: @Sendable (String) async throws -> T) async throws -> T {
        do {
            return try await call(connection.accessToken)
        } catch let error as FullscriptError where error.kind == .unauthorized {
            let fresh = try await refresh(connection.user, replacing: connection.accessToken)
            return try await call(fresh.accessToken)
        }
    }

    /// A connection (`c`, joined to its tenant `t`) that may be used: of the tenant's pinned clinic, or not
    /// known yet (made before clinics were recorded: `checkClinic` asks on its first use), or in a tenant
    /// not pinned yet; never of a clinic another tenant has pinned, which is that practice's alone (a
    /// tenant unpinned after connecting keeps its connections).
    private static let ofThePinnedClinic =
        """
        (t.fullscript_clinic_id IS NULL OR c.fullscript_clinic_id IS NULL OR c.fullscript_clinic_id = t.fullscript_clinic_id)
        AND NOT EXISTS (SELECT 1 FROM tenants o WHERE o.fullscript_clinic_id = c.fullscript_clinic_id AND o.id <> c.tenant_id)
        """

    /// A live access token for `user`, refreshed first when it expires within `refreshMargin`.
    func accessToken(for user: EHRUser) async throws -> FullscriptConnection {
        try await accessToken(from: try await stored(for: user))
    }

    /// `accessToken(for:)` from the connection as the caller read it (`ClickRead`); nil: not connected.
    func accessToken(from stored: StoredConnection?) async throws -> FullscriptConnection {
        guard let stored else { throw TokenVaultError.reconnectRequired }
        let current = stored.connection
        let live = current.accessExpiresAt.timeIntervalSince(now()) <= Self.refreshMargin
            ? try await refresh(current.user, replacing: current.accessToken) : current
        if stored.clinicUnrecorded {
            try await checkClinic(of: live)
        }
        return live
    }

    /// A connection made before connections recorded their clinic is asked once which clinic it is
    /// (GET /clinic), and that is recorded, whether its tenant is pinned or not. One of another clinic than
    /// its tenant's pin, or of a clinic another tenant pinned, is marked for reconnection: its user sees the
    /// connect page again.
    private func checkClinic(of live: FullscriptConnection) async throws {
        let user = live.user
        let client = try await clients.client(for: user.tenant)
        let clinic: Clinic
        do {
            clinic = try await withFreshToken(live) { try await client.clinic(accessToken: $0) }
        } catch let error as FullscriptError {
            throw TokenVaultError.fullscript(error)
        }
        let date = now()
        let matches = try await database.write { connection in
            try connection.execute("UPDATE fullscript_connections SET fullscript_clinic_id = ? WHERE tenant_id = ? AND ehr_user_id = ?",
                                   [.text(clinic.id), .text(user.tenant), .text(user.id)])
            // The pin as it is now: the tenant may have been pinned since the connection was read.
            let pinnedNow = try connection.queryFirst("SELECT fullscript_clinic_id AS pinned FROM tenants WHERE id = ?",
                                                      [.text(user.tenant)])?.optionalString("pinned")
            if let pinned = pinnedNow, clinic.id != pinned {
                try Self.markForReconnection(user, clinic: clinic.id, expected: pinned, requestID: nil, in: connection, at: date)
                return false
            }
            if pinnedNow == nil,
               try connection.queryFirst("SELECT 1 AS taken FROM tenants WHERE fullscript_clinic_id = ?", [.text(clinic.id)]) != nil {
                try Self.markForReconnection(user, clinic: clinic.id, expected: nil, requestID: nil, in: connection, at: date)
                return false
            }
            return true
        }
        guard matches else { throw TokenVaultError.reconnectRequired }
    }

    /// `user`'s connection belongs to `clinic`, not their tenant's `expected` one (nil: their tenant has
    /// none, and another tenant pinned `clinic`): never used again; they connect again with an account of
    /// their practice's clinic.
    static func markForReconnection(_ user: EHRUser, clinic: String, expected: String?, requestID: String?,
                                    in connection: any SQLConnection, at date: Date) throws {
        try connection.execute(
            "UPDATE fullscript_connections SET status = 'disconnected', updated_at = ? WHERE tenant_id = ? AND ehr_user_id = ?",
            [.text(Timestamp.iso8601(date)), .text(user.tenant), .text(user.id)]
        )
        try AuditEntry(tenant: user.tenant, actor: user.id, action: "fullscript.connection", subject: nil, outcome: "reconnect_other_clinic",
                       requestID: requestID, detail: "account's clinic \(clinic), " + (expected.map { "practice's clinic \($0)" } ?? "pinned by another tenant")).insert(into: connection, at: date)
    }

    /// Replaces `staleAccessToken` (expiring, or just refused with 401) with a fresh pair; the caller
    /// reconnects if that fails. When another request already replaced it, that result is returned:
    /// deciding from what is stored *inside* the flight and the store's lock is what keeps concurrent
    /// clicks to one refresh, on this replica (the flight) and across replicas (the lock). It matters
    /// beyond cost: Fullscript rotates refresh tokens, so a second refresh with the one a first replaced
    /// may be refused once the new access token is used, and a refused refresh disconnects the user.
    func refresh(_ user: EHRUser, replacing staleAccessToken: String) async throws -> FullscriptConnection {
        try await flights.run(user.tenant + "\u{0}" + user.id) { [self] in
            try await database.withLock(named: Self.refreshLockName(of: user), waitingAtMost: Self.refreshLockWait) {
                // What another request or replica stored before this one had the lock.
                guard let current = try await connection(for: user) else { throw TokenVaultError.reconnectRequired }
                guard current.accessToken == staleAccessToken else { return current }
                return try await refresh(current)
            }
        }
    }

    /// How long a refresh waits for another replica's refresh of the same user: longer than one
    /// refresh takes, shorter than a click's patience. Past it the click is refused as the store being busy.
    static let refreshLockWait: Duration = .seconds(5)

    /// The lock one refresh of `user` holds in the store; unambiguous for any tenant and user ids.
    static func refreshLockName(of user: EHRUser) -> String {
        "fullscript-token-refresh:\(user.tenant.utf8.count):\(user.tenant):\(user.id)"
    }

    /// Trades `current`'s refresh token for a new pair and stores it; a refused one disconnects the user,
    /// unless what is stored meanwhile holds another refresh token: a replica whose lock went with its
    /// session (a dropped database connection) may refresh with the token another replica just traded.
    func refresh(_ current: FullscriptConnection) async throws -> FullscriptConnection {
        let user = current.user
        let token: OAuthToken
        let client = try await clients.client(for: user.tenant)
        do {
            token = try await client.refresh(refreshToken: current.refreshToken)
        } catch where error.kind == .invalidGrant {
            metrics.tokenRefresh(.refused)
            if let replaced = try await markDisconnected(user, holding: current.refreshToken, requestID: error.requestID) { return replaced }
            throw TokenVaultError.reconnectRequired
        } catch {
            metrics.tokenRefresh(.failed)
            throw TokenVaultError.fullscript(error)
        }
        metrics.tokenRefresh(.refreshed)
        // A name the connect-time lookup could not get is asked for again, once per refresh.
        let holder = try await account(of: user)?.holder == nil
            ? await lookUpHolder(of: token.resourceOwner, accessToken: token.accessToken, for: user) : nil
        try await store(token, holder: holder, for: user, requestID: nil, connecting: false)
        logger.info("fullscript token refreshed", metadata: ["tenant": "\(user.tenant)", "user": "\(user.id)"])
        return FullscriptConnection(
            user: user, resourceOwner: token.resourceOwner, accessToken: token.accessToken,
            refreshToken: token.refreshToken, accessExpiresAt: token.expiresAt
        )
    }

    /// The connection internal services read a tenant's Fullscript data through, having no user of
    /// their own: the tenant's practitioner who connected first (a tenant is one Fullscript clinic, so
    /// any of its practitioners sees its patients), or with `kind` nil anyone connected (the catalog and
    /// the clinic's practitioners are for every account to read). One whose refresh is refused is skipped,
    /// and stays disconnected.
    func serviceConnection(in tenant: String, kind: ResourceOwner.Kind? = .practitioner) async throws -> FullscriptConnection {
        // One practitioner's token that cannot be used just now (a failed refresh or clinic check) is no
        // reason to refuse: the next may serve. Their failure is the answer only when nobody can.
        var unusable: (any Error)?
        for user in try await connectedUsers(in: tenant, kind: kind) {
            do {
                return try await accessToken(for: user)
            } catch TokenVaultError.reconnectRequired {
                continue
            } catch {
                unusable = unusable ?? error
            }
        }
        throw unusable ?? TokenVaultError.reconnectRequired
    }

    /// Disconnects `user` if their stored connection still holds `refreshToken`; else returns what is
    /// stored, which another refresh wrote. One transaction: a refresh stored in between is never undone.
    private func markDisconnected(_ user: EHRUser, holding refreshToken: String, requestID: String?) async throws -> FullscriptConnection? {
        let date = now()
        return try await database.write { connection in
            if let stored = try self.opened(try connection.queryFirst(Self.readingStored(for: user)), for: user)?.connection,
               stored.refreshToken != refreshToken {
                return stored
            }
            try connection.execute(
                "UPDATE fullscript_connections SET status = 'disconnected', updated_at = ? WHERE tenant_id = ? AND ehr_user_id = ?",
                [.text(Timestamp.iso8601(date)), .text(user.tenant), .text(user.id)]
            )
            try AuditEntry(tenant: user.tenant, actor: user.id, action: "fullscript.refresh", subject: nil, outcome: "refresh token refused",
                           requestID: requestID, detail: nil).insert(into: connection, at: date)
            return nil
        }
    }

    /// Revokes at Fullscript (best effort: a dead token is as good as revoked) and forgets the tokens.
    func disconnect(_ user: EHRUser, requestID: String?) async throws {
        if let current = try await connection(for: user) {
            do {
                try await clients.client(for: user.tenant).revoke(token: current.refreshToken)
            } catch {
                logger.warning("fullscript revoke failed", metadata: ["tenant": "\(user.tenant)", "user": "\(user.id)", "error": "\(error)"])
            }
        }
        let date = now()
        try await database.write { connection in
            try connection.execute("DELETE FROM fullscript_connections WHERE tenant_id = ? AND ehr_user_id = ?",
                                   [.text(user.tenant), .text(user.id)])
            // A staff user's practitioner was picked among that account's clinic: it goes with the account.
            try RecommendationLog.forgetStaffChoice(of: user, in: connection)
            try AuditEntry(tenant: user.tenant, actor: user.id, action: "fullscript.disconnect", subject: nil, outcome: "disconnected",
                           requestID: requestID, detail: nil).insert(into: connection, at: date)
        }
    }

    /// Re-seals every stored token under the current key; returns how many rows changed.
    static func resealUnderCurrentKey(database: any SQLDatabase, keys: TokenKeyRing) async throws -> Int {
        try await database.write { connection in
            let rows = try connection.query(
                "SELECT tenant_id, ehr_user_id, key_id, access_token, refresh_token FROM fullscript_connections WHERE key_id != ?",
                [.text(keys.current.fingerprint)]
            )
            for row in rows {
                let user = EHRUser(id: try row.string("ehr_user_id"), tenant: try row.string("tenant_id"))
                let keyID = try row.string("key_id")
                let access = try keys.open(try row.blob("access_token"), keyID: keyID, field: "access_token", user: user)
                let refresh = try keys.open(try row.blob("refresh_token"), keyID: keyID, field: "refresh_token", user: user)
                try connection.execute(
                    "UPDATE fullscript_connections SET access_token = ?, refresh_token = ?, key_id = ? WHERE tenant_id = ? AND ehr_user_id = ?",
                    [.blob(keys.seal(access, field: "access_token", user: user)),
                     .blob(keys.seal(refresh, field: "refresh_token", user: user)),
                     .text(keys.current.fingerprint), .text(user.tenant), .text(user.id)]
                )
            }
            return rows.count
        }
    }
}
