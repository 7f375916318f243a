import Foundation
import Fullscript
import Store

/// The audit trail of clicks (one `recommendations` row each, append-only) and the practitioner
/// each staff user last wrote for.
struct RecommendationLog: Sendable {
    let database: Database

    struct Click: Sendable {
        let user: String
        let patientID: String
        let entrypoint: Entrypoint
        let requestID: String
        var practitionerID: String?
        var linkKind: String?
        var outcome = "started"
        var fullscriptRequestID: String?
        var detail: String?

        init(user: String, patientID: String, entrypoint: Entrypoint, requestID: String) {
            self.user = user
            self.patientID = patientID
            self.entrypoint = entrypoint
            self.requestID = requestID
        }
    }

    /// Writes the click and, for a staff user's successful click, their choice, in one transaction.
    func record(_ click: Click, staffChoice: String? = nil, at date: Date) async throws {
        let stamp = Timestamp.iso8601(date)
        try await database.write { connection in
            try connection.transaction {
                try connection.execute(
                    """
                    INSERT INTO recommendations (occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint,
                                                 outcome, fullscript_request_id, request_id, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [.text(stamp), .text(click.user), .text(click.patientID), SQLiteValue(click.practitionerID), SQLiteValue(click.linkKind),
                     .text(click.entrypoint.rawValue), .text(click.outcome), SQLiteValue(click.fullscriptRequestID),
                     .text(click.requestID), SQLiteValue(click.detail)]
                )
                if let staffChoice {
                    try connection.execute(
                        """
                        INSERT INTO staff_practitioner_choices (ehr_user_id, practitioner_id, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (ehr_user_id) DO UPDATE SET practitioner_id = excluded.practitioner_id, updated_at = excluded.updated_at
                        """,
                        [.text(click.user), .text(staffChoice), .text(stamp)]
                    )
                }
            }
        }
    }

    func staffChoice(of user: String) async throws -> String? {
        try await database.read { connection in
            try connection.queryFirst("SELECT practitioner_id FROM staff_practitioner_choices WHERE ehr_user_id = ?", [.text(user)])?
                .string("practitioner_id")
        }
    }

    /// Fullscript refused the remembered practitioner (they left the clinic, say): ask again next time.
    func forgetStaffChoice(of user: String) async throws {
        _ = try await database.write { connection in
            try connection.execute("DELETE FROM staff_practitioner_choices WHERE ehr_user_id = ?", [.text(user)])
        }
    }
}
