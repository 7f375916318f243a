import Foundation
import Store

/// The outbox of demographics for Fullscript: one row per linked patient the EHR changed (`patient_sync`).
struct PatientSyncStore: Sendable {
    let database: any SQLDatabase

    struct Due: Sendable, Equatable {
        let tenant: String
        let ehrPatientID: String
        let version: Int64
        let attempts: Int
    }

    /// Sets the patient's row pending (a newer version), inside the transaction that changed the patient,
    /// when the patient is linked to a Fullscript patient. A row backing off keeps its due time and its
    /// tries: a stream of PUTs must not push through Fullscript's 429s at the client's own pace.
    static func enqueue(_ ehrPatientID: String, in tenant: String, into connection: any SQLConnection, at date: Date) throws {
        let stamp = Timestamp.iso8601(date)
        try connection.execute(
            """
            INSERT INTO patient_sync (tenant_id, ehr_patient_id, status, version, attempts, error, due_at, updated_at)
            SELECT tenant_id, ehr_patient_id, 'pending', 1, 0, NULL, ?1, ?1 FROM patient_mappings WHERE tenant_id = ?2 AND ehr_patient_id = ?3
            ON CONFLICT (tenant_id, ehr_patient_id) DO UPDATE SET
                status = 'pending', version = patient_sync.version + 1, waits_for_connection = 0, error = NULL,
                attempts = CASE WHEN patient_sync.status = 'pending' THEN patient_sync.attempts ELSE 0 END,
                due_at = CASE WHEN patient_sync.status = 'pending' AND patient_sync.waits_for_connection = 0 AND patient_sync.due_at > ?1
                              THEN patient_sync.due_at ELSE ?1 END,
                updated_at = ?1
            """,
            [.text(stamp), .text(tenant), .text(ehrPatientID)]
        )
    }

    /// Pending rows due by `date`, earliest first.
    func due(at date: Date, limit: Int) async throws -> [Due] {
        try await database.read { connection in
            try connection.query(
                "SELECT * FROM patient_sync WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, tenant_id, ehr_patient_id LIMIT ?",
                [.text(Timestamp.iso8601(date)), .integer(Int64(limit))]
            ) { row in
                Due(tenant: try row.string("tenant_id"), ehrPatientID: try row.string("ehr_patient_id"), version: try row.int64("version"),
                    attempts: try row.int("attempts"))
            }
        }
    }

    /// The earliest time a pending row falls due, if any.
    func nextDue() async throws -> String? {
        try await database.read { connection in
            try connection.queryFirst("SELECT min(due_at) AS due FROM patient_sync WHERE status = 'pending'")?.optionalString("due")
        }
    }

    /// Settles the version pushed, unless a newer change arrived meanwhile (that one stays pending).
    func settle(_ item: Due, _ status: String, error: String?, at date: Date) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                """
                UPDATE patient_sync SET status = ?, error = ?, waits_for_connection = 0, updated_at = ?
                WHERE tenant_id = ? AND ehr_patient_id = ? AND version = ?
                """,
                [.text(status), DatabaseValue(error), .text(Timestamp.iso8601(date)), .text(item.tenant), .text(item.ehrPatientID),
                 .integer(item.version)]
            )
        }
    }

    /// Tries the version again at `due`, remembering why it did not go through. Waiting for a connection
    /// is not an attempt: only Fullscript's answers (and our failures to ask) use up the bound.
    func postpone(_ item: Due, error: String, until due: Date, at date: Date, waitingForConnection: Bool) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                """
                UPDATE patient_sync SET attempts = attempts + \(waitingForConnection ? 0 : 1), waits_for_connection = \(waitingForConnection ? 1 : 0),
                    error = ?, due_at = ?, updated_at = ?
                WHERE tenant_id = ? AND ehr_patient_id = ? AND version = ?
                """,
                [.text(error), .text(Timestamp.iso8601(due)), .text(Timestamp.iso8601(date)), .text(item.tenant), .text(item.ehrPatientID),
                 .integer(item.version)]
            )
        }
    }

    /// The tenant's changes that waited for a connection fall due now; those backing off keep their time.
    func release(waitingIn tenant: String, at date: Date) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                "UPDATE patient_sync SET due_at = ? WHERE tenant_id = ? AND status = 'pending' AND waits_for_connection = 1",
                [.text(Timestamp.iso8601(date)), .text(tenant)]
            )
        }
    }
}
