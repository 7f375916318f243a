import Foundation
import Fullscript
import Logging
import Store
import Synchronization

/// The durable inbox of Fullscript events (`webhook_events`): each stored raw before it is
/// acknowledged, deduplicated on Fullscript's event id whether it came by webhook or by
/// reconciliation, and marked once processed.
struct WebhookEventStore: Sendable {
    let database: any SQLDatabase

    enum Status: String, Sendable {
        case processed, ignored, failed
    }

    /// Where a pass through the pending events has got to: received order, ties in insertion order.
    struct Cursor: Sendable {
        let receivedAt: String
        let rowID: Int64
    }

    struct Pending: Sendable {
        let id: String
        /// The tenant the event was routed to when stored; nil when none claims it.
        let tenant: String?
        /// Why no tenant claims it, when none does.
        let unclaimedBecause: String?
        let type: String
        let body: [UInt8]
        /// Tries so far.
        let attempts: Int
        let cursor: Cursor
    }

    /// False when an event with this id is already stored: a repeat delivery changes nothing. An event no
    /// tenant claims is stored all the same, `unclaimedBecause` in its error, and processing records it ignored.
    /// Such an event, met again with a tenant (reconcile reads it through that tenant's clinic), was not
    /// seen yet: it becomes that tenant's, pending.
    func insert(_ event: FullscriptEvent, tenant: String?, unclaimedBecause: String? = nil, body: [UInt8], at date: Date) async throws -> Bool {
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO webhook_events (event_id, tenant_id, event_type, clinic_id, occurred_at, received_at, body, error)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (event_id) DO UPDATE SET
                    tenant_id = ?2, status = 'pending', attempts = 0, error = NULL, processed_at = NULL
                WHERE ?2 IS NOT NULL AND webhook_events.tenant_id IS NULL AND webhook_events.status = 'ignored'
                """,
                [.text(event.id), DatabaseValue(tenant), .text(event.type), DatabaseValue(event.clinicID), DatabaseValue(event.createdAt),
                 .text(Timestamp.iso8601(date)), .blob(body), DatabaseValue(tenant == nil ? unclaimedBecause : nil)]
            ) == 1
        }
    }

    /// Pending events after `cursor`, oldest first.
    func pending(after cursor: Cursor?, limit: Int) async throws -> [Pending] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT rowid, event_id, tenant_id, event_type, body, attempts, received_at, error FROM webhook_events
                WHERE status = 'pending' AND (received_at, rowid) > (?, ?)
                ORDER BY received_at, rowid LIMIT ?
                """,
                [.text(cursor?.receivedAt ?? ""), .integer(cursor?.rowID ?? 0), .integer(Int64(limit))]
            ) { row in
                let tenant = try row.optionalString("tenant_id")
                return Pending(id: try row.string("event_id"), tenant: tenant,
                               unclaimedBecause: tenant == nil ? try row.optionalString("error") : nil, type: try row.string("event_type"),
                               body: try row.blob("body"), attempts: try row.int("attempts"),
                               cursor: Cursor(receivedAt: try row.string("received_at"), rowID: try row.int64("rowid")))
            }
        }
    }

    /// Runs `body` with `event` as it is to be applied now, while no other process may apply it: holding
    /// the event's lock in the store (on PostgreSQL, shared by every replica, and let go of by one that
    /// dies), and with the event read again under it, so one that another process settled meanwhile is
    /// not applied again. nil, without running `body`, when another process holds the event or it is no
    /// longer pending.
    func whileClaimed<T: Sendable>(_ event: Pending, _ body: (Pending) async throws -> T) async throws -> T? {
        try await database.withLockIfAvailable(named: "webhook-event:\(event.id)") { () async throws -> T? in
            guard let claimed = try await claim(event) else { return nil }
            return try await body(claimed)
        } ?? nil
    }

    /// `event` as it is to be applied now: its tenant picked again (`WebhookTenantRouter.reroute`) and
    /// recorded in one transaction, a new tenant's tries counted afresh. nil when it is no longer pending.
    private func claim(_ event: Pending) async throws -> Pending? {
        try await database.write { connection in
            guard let row = try connection.queryFirst(
                "SELECT tenant_id, clinic_id, attempts, error FROM webhook_events WHERE event_id = ? AND status = 'pending'", [.text(event.id)]
            ) else { return nil }
            let stored = try row.optionalString("tenant_id")
            let route = try WebhookTenantRouter.reroute(storedTenant: stored, clinic: try row.optionalString("clinic_id"), in: connection)
                ?? WebhookTenantRouter.Route(tenant: stored, unclaimedBecause: stored == nil ? try row.optionalString("error") : nil)
            let attempts = route.tenant == stored ? try row.int("attempts") : 0
            if route.tenant != stored {
                try connection.execute("UPDATE webhook_events SET tenant_id = ?, attempts = 0, error = ? WHERE event_id = ?",
                                       [DatabaseValue(route.tenant), DatabaseValue(route.unclaimedBecause), .text(event.id)])
            }
            return Pending(id: event.id, tenant: route.tenant, unclaimedBecause: route.unclaimedBecause, type: event.type,
                           body: event.body, attempts: attempts, cursor: event.cursor)
        }
    }

    /// Counts a try and settles the event; only a pending event changes, so two processes
    /// (the server and a `reconcile`) finishing the same event leave the first one's result.
    func finish(_ id: String, _ status: Status, error: String?, at date: Date) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                """
                UPDATE webhook_events SET status = ?, attempts = attempts + 1, processed_at = ?, error = ?
                WHERE event_id = ? AND status = 'pending'
                """,
                [.text(status.rawValue), .text(Timestamp.iso8601(date)), DatabaseValue(error), .text(id)]
            )
        }
    }

    /// Counts a try that failed for a passing reason; the event stays pending.
    func postpone(_ id: String, error: String) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                "UPDATE webhook_events SET attempts = attempts + 1, error = ? WHERE event_id = ? AND status = 'pending'",
                [.text(error), .text(id)]
            )
        }
    }
}
