import Foundation
import Fullscript
import Store

/// The audit trail of clicks (one `recommendations` row each, append-only) and the practitioner
/// each staff user chose to keep writing for, both per tenant.
struct RecommendationLog: Sendable {
    let database: any SQLDatabase

    struct Click: Sendable {
        let user: EHRUser
        let patientID: String
        let entrypoint: Entrypoint
        let requestID: String
        var practitionerID: String?
        var linkKind: String?
        var outcome = "started"
        var fullscriptRequestID: String?
        var detail: String?

        init(user: EHRUser, patientID: String, entrypoint: Entrypoint, requestID: String) {
            self.user = user
            self.patientID = patientID
            self.entrypoint = entrypoint
            self.requestID = requestID
        }
    }

    /// The practitioner a staff user acts for, with the name Fullscript gave when it was chosen, so the
    /// chart can say "Acting for Morgan Lee" without asking Fullscript.
    struct StaffChoice: Sendable, Equatable {
        let practitionerID: String
        /// nil for a choice made before names were kept.
        let name: String?
    }

    /// What a staff user's successful click does to their remembered choice.
    enum StaffChoiceChange: Sendable {
        case keep
        case remember(StaffChoice)
        /// They chose for this plan only: the next click asks again.
        case forget
    }

    /// Writes the click and what it changes of the user's staff choice, in one transaction. The click alone, as most are,
    /// is a brief write, on the request's thread where the store can.
    func record(_ click: Click, staffChoice: StaffChoiceChange = .keep, at date: Date) async throws {
        let stamp = Timestamp.iso8601(date)
        let insert = SQLStatement(Self.insertClick, [
            .text(click.user.tenant), .text(stamp), .text(click.user.id), .text(click.patientID), DatabaseValue(click.practitionerID),
            DatabaseValue(click.linkKind), .text(click.entrypoint.rawValue), .text(click.outcome), DatabaseValue(click.fullscriptRequestID),
            .text(click.requestID), DatabaseValue(click.detail),
        ])
        if case .keep = staffChoice {
            try await database.briefExecute(insert)
            return
        }
        try await database.write { connection in
            try connection.execute(insert)
            switch staffChoice {
            case .keep:
                break
            case .remember(let choice):
                try connection.execute(
                    """
                    INSERT INTO staff_practitioner_choices (tenant_id, ehr_user_id, practitioner_id, practitioner_name, updated_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tenant_id, ehr_user_id) DO UPDATE SET practitioner_id = excluded.practitioner_id,
                        practitioner_name = excluded.practitioner_name, updated_at = excluded.updated_at
                    """,
                    [.text(click.user.tenant), .text(click.user.id), .text(choice.practitionerID), DatabaseValue(choice.name), .text(stamp)]
                )
            case .forget:
                try Self.forgetStaffChoice(of: click.user, in: connection)
            }
        }
    }

    private static let insertClick = """
        INSERT INTO recommendations (tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind,
                                     entrypoint, outcome, fullscript_request_id, request_id, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    func staffChoice(of user: EHRUser) async throws -> StaffChoice? {
        try await database.read { connection in
            try connection.queryFirst(
                "SELECT practitioner_id, practitioner_name FROM staff_practitioner_choices WHERE tenant_id = ? AND ehr_user_id = ?",
                [.text(user.tenant), .text(user.id)]
            ).map { StaffChoice(practitionerID: try $0.string("practitioner_id"), name: try $0.optionalString("practitioner_name")) }
        }
    }

    /// Fullscript refused the remembered practitioner (they left the clinic, say): ask again next time.
    func forgetStaffChoice(of user: EHRUser) async throws {
        try await database.write { try Self.forgetStaffChoice(of: user, in: $0) }
    }

    /// Inside a write of the caller's, so the choice goes with what made it stale (a click, a disconnect).
    static func forgetStaffChoice(of user: EHRUser, in connection: any SQLConnection) throws {
        try connection.execute("DELETE FROM staff_practitioner_choices WHERE tenant_id = ? AND ehr_user_id = ?",
                               [.text(user.tenant), .text(user.id)])
    }
}
