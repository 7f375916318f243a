import Foundation
import Store

/// Reads and writes our copy of the EHR's patients and their Fullscript mapping, each within one
/// tenant: the same EHR patient id in two tenants is two patients.
struct PatientStore: Sendable {
    let database: any SQLDatabase

    private static let select = """
        SELECT p.*, m.fullscript_patient_id, s.status AS sync_status, s.error AS sync_error, s.updated_at AS sync_updated_at FROM patients p
        LEFT JOIN patient_mappings m ON m.tenant_id = p.tenant_id AND m.ehr_patient_id = p.ehr_patient_id
        LEFT JOIN patient_sync s ON s.tenant_id = p.tenant_id AND s.ehr_patient_id = p.ehr_patient_id
        """

    func find(_ ehrPatientID: String, in tenant: String) async throws -> PatientLookup {
        try Self.lookup(try await database.briefReadFirst(Self.finding(ehrPatientID, in: tenant)))
    }

    /// The read `lookup` takes its row from, for a caller that reads it with others (`ClickRead`).
    static func finding(_ ehrPatientID: String, in tenant: String) -> SQLStatement {
        SQLStatement(select + " WHERE p.tenant_id = ? AND p.ehr_patient_id = ?", [.text(tenant), .text(ehrPatientID)])
    }

    static func lookup(_ row: Row?) throws -> PatientLookup {
        guard let row else { return .unknown }
        return try row.optionalString("deleted_at") == nil ? .found(try record(row)) : .deleted
    }

    /// Live patients ordered by id, `limit` at a time after the cursor `after`.
    func list(in tenant: String, after: String? = nil, limit: Int) async throws -> [PatientRecord] {
        try await database.read { connection in
            try connection.query(
                Self.select + " WHERE p.tenant_id = ? AND p.deleted_at IS NULL AND p.ehr_patient_id > ? ORDER BY p.ehr_patient_id LIMIT ?",
                [.text(tenant), .text(after ?? ""), .integer(Int64(limit))], Self.record
            )
        }
    }

    /// Inserts or replaces the patient's details (a deleted patient comes back); returns whether it is new.
    /// The mapping stays: the EHR patient is still the same person to Fullscript.
    @discardableResult
    func upsert(_ patient: PatientRecord, in tenant: String, audit: AuditEntry, at date: Date) async throws -> Bool {
        let stamp = Timestamp.iso8601(date)
        return try await database.write { connection in
            let before = try connection.queryFirst(
                "SELECT * FROM patients WHERE tenant_id = ? AND ehr_patient_id = ? AND deleted_at IS NULL",
                [.text(tenant), .text(patient.ehrPatientID)]
            )
            let existed = before != nil
            try connection.execute(
                """
                INSERT INTO patients (tenant_id, ehr_patient_id, email, first_name, last_name, date_of_birth, gender, mobile_number,
                                      created_at, updated_at, deleted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                ON CONFLICT (tenant_id, ehr_patient_id) DO UPDATE SET
                    email = excluded.email, first_name = excluded.first_name, last_name = excluded.last_name,
                    date_of_birth = excluded.date_of_birth, gender = excluded.gender, mobile_number = excluded.mobile_number,
                    updated_at = excluded.updated_at, deleted_at = NULL,
                    created_at = CASE WHEN patients.deleted_at IS NULL THEN patients.created_at ELSE excluded.created_at END
                """,
                [.text(tenant), .text(patient.ehrPatientID), DatabaseValue(patient.email), DatabaseValue(patient.firstName),
                 DatabaseValue(patient.lastName), DatabaseValue(patient.dateOfBirth), DatabaseValue(patient.gender),
                 DatabaseValue(patient.mobileNumber), .text(stamp), .text(stamp)]
            )
            if let before, try Self.demographics(before) != Self.demographics(patient) {
                try PatientSyncStore.enqueue(patient.ehrPatientID, in: tenant, into: connection, at: date)
            }
            try audit.insert(into: connection, at: date)
            return !existed
        }
    }

    /// Wipes the details and the mapping, keeping a tombstone; false when there was no live patient.
    func delete(_ ehrPatientID: String, in tenant: String, audit: AuditEntry, at date: Date) async throws -> Bool {
        let stamp = Timestamp.iso8601(date)
        return try await database.write { connection in
            let changed = try connection.execute(
                """
                UPDATE patients SET email = NULL, first_name = NULL, last_name = NULL, date_of_birth = NULL, gender = NULL,
                    mobile_number = NULL, updated_at = ?, deleted_at = ?
                WHERE tenant_id = ? AND ehr_patient_id = ? AND deleted_at IS NULL
                """,
                [.text(stamp), .text(stamp), .text(tenant), .text(ehrPatientID)]
            )
            guard changed == 1 else { return false }
            try connection.execute("DELETE FROM patient_mappings WHERE tenant_id = ? AND ehr_patient_id = ?",
                                   [.text(tenant), .text(ehrPatientID)])
            try connection.execute("DELETE FROM patient_sync WHERE tenant_id = ? AND ehr_patient_id = ?", [.text(tenant), .text(ehrPatientID)])
            try audit.insert(into: connection, at: date)
            return true
        }
    }

    /// Remembers which Fullscript patient an EHR patient is, unless either side is mapped already
    /// (a mapping is never overwritten) or the patient was deleted meanwhile; says which.
    /// `copy` is the patient as the caller read it (what a click sent Fullscript): when the EHR changed
    /// the patient since, the change was saved unlinked, so nothing queued it; linking queues it now.
    @discardableResult
    func recordMapping(ehrPatientID: String, fullscriptPatientID: String, in tenant: String, at date: Date,
                       copy: PatientRecord? = nil) async throws -> MappingOutcome {
        try await database.write { connection in
            if let row = try connection.queryFirst(
                "SELECT fullscript_patient_id FROM patient_mappings WHERE tenant_id = ? AND ehr_patient_id = ?", [.text(tenant), .text(ehrPatientID)]
            ) {
                let mapped = try row.string("fullscript_patient_id")
                return mapped == fullscriptPatientID ? .unchanged : .patientMappedElsewhere(mapped)
            }
            if let row = try connection.queryFirst(
                "SELECT ehr_patient_id FROM patient_mappings WHERE tenant_id = ? AND fullscript_patient_id = ?",
                [.text(tenant), .text(fullscriptPatientID)]
            ) {
                return .fullscriptPatientTaken(try row.string("ehr_patient_id"))
            }
            let inserted = try connection.execute(
                """
                INSERT INTO patient_mappings (tenant_id, ehr_patient_id, fullscript_patient_id, created_at)
                SELECT tenant_id, ehr_patient_id, ?, ? FROM patients WHERE tenant_id = ? AND ehr_patient_id = ? AND deleted_at IS NULL
                """,
                [.text(fullscriptPatientID), .text(Timestamp.iso8601(date)), .text(tenant), .text(ehrPatientID)]
            )
            guard inserted == 1 else { return .patientGone }
            // An open chart shows the link (its stream's `patient` event) and the plans it brings.
            try ChartChanges.record([ehrPatientID], in: tenant, on: connection)
            if let copy, let now = try connection.queryFirst("SELECT * FROM patients WHERE tenant_id = ? AND ehr_patient_id = ?",
                                                             [.text(tenant), .text(ehrPatientID)]),
               try Self.demographics(now) != Self.demographics(copy) {
                try PatientSyncStore.enqueue(ehrPatientID, in: tenant, into: connection, at: date)
            }
            return .recorded
        }
    }

    func record(_ audit: AuditEntry, at date: Date) async throws {
        try await database.write { try audit.insert(into: $0, at: date) }
    }

    /// Whether any EHR patient of the tenant is linked to this Fullscript patient.
    func isMapped(fullscriptPatientID: String, in tenant: String) async throws -> Bool {
        try await database.read { connection in
            try connection.queryFirst("SELECT 1 FROM patient_mappings WHERE tenant_id = ? AND fullscript_patient_id = ?",
                                      [.text(tenant), .text(fullscriptPatientID)]) != nil
        }
    }

    /// Live EHR patients with this email (compared case-insensitively, as Fullscript matches), mapped
    /// or not: who a Fullscript patient we have not met can be.
    /// By the index `patients_live_email` (migration 0017), whose expression and condition
    /// these are. Ordering by an expression (`|| ''`) keeps the planner from walking the primary key for the
    /// order instead (it has no statistics to know an email is rarer than a practice); the few rows found are sorted.
    static let livePatientsWithEmail =
        select + " WHERE p.tenant_id = ? AND p.deleted_at IS NULL AND lower(p.email) = lower(?) ORDER BY p.ehr_patient_id || ''"

    func livePatients(withEmail email: String, in tenant: String) async throws -> [PatientRecord] {
        try await database.read { connection in
            try connection.query(Self.livePatientsWithEmail, [.text(tenant), .text(email)], Self.record)
        }
    }

    /// A row when a live patient of the tenant other than `patientID` holds `patientID`'s email: all a click needs to
    /// know of the email's holders, read with the patient (`ClickRead`). One row at most, by the email's index, however
    /// many patients a practice gave one placeholder address.
    static func anotherLivePatientSharingTheEmail(of patientID: String, in tenant: String) -> SQLStatement {
        SQLStatement(anotherLivePatientWithEmail, [.text(tenant), .text(patientID)])
    }

    static let anotherLivePatientWithEmail = """
        SELECT 1 FROM patients WHERE tenant_id = ?1 AND deleted_at IS NULL AND ehr_patient_id <> ?2
            AND lower(email) = (SELECT lower(email) FROM patients WHERE tenant_id = ?1 AND ehr_patient_id = ?2) LIMIT 1
        """

    /// What Fullscript keeps of a patient: a change to any of these is pushed there (`PatientSync`).
    private static func demographics(_ row: Row) throws -> [String?] {
        try ["email", "first_name", "last_name", "date_of_birth", "gender", "mobile_number"].map { try row.optionalString($0) }
    }

    private static func demographics(_ patient: PatientRecord) -> [String?] {
        [patient.email, patient.firstName, patient.lastName, patient.dateOfBirth, patient.gender, patient.mobileNumber]
    }

    private static func record(_ row: Row) throws -> PatientRecord {
        PatientRecord(
            ehrPatientID: try row.string("ehr_patient_id"), email: try row.optionalString("email"),
            firstName: try row.optionalString("first_name"), lastName: try row.optionalString("last_name"),
            dateOfBirth: try row.optionalString("date_of_birth"), gender: try row.optionalString("gender"),
            mobileNumber: try row.optionalString("mobile_number"), fullscriptPatientID: try row.optionalString("fullscript_patient_id"),
            createdAt: try row.string("created_at"), updatedAt: try row.string("updated_at"),
            fullscriptSync: try row.optionalString("sync_status").map { status in
                PatientSyncState(status: status, error: try row.optionalString("sync_error"), updatedAt: try row.string("sync_updated_at"))
            }
        )
    }
}
