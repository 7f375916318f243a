import Foundation
import Store

/// Who did what, written next to the change it describes. Never holds tokens or patient details.
struct AuditEntry: Sendable {
    /// Whose practice this happened in; nil for what belongs to none (an operator's command on the
    /// deployment, a launch naming a tenant that does not exist).
    let tenant: String?
    var actor: String
    var action: String
    var subject: String?
    var outcome: String
    var requestID: String?
    var detail: String?

    func insert(into connection: any SQLConnection, at date: Date) throws {
        try connection.execute(
            """
            INSERT INTO audit_log (occurred_at, tenant_id, actor, action, subject, outcome, request_id, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(Timestamp.iso8601(date)), DatabaseValue(tenant), .text(actor), .text(action), DatabaseValue(subject), .text(outcome),
             DatabaseValue(requestID), DatabaseValue(detail)]
        )
    }
}
