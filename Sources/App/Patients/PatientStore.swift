import Foundation
import Store

/// Reads and writes our copy of the EHR's patients and their Fullscript mapping.
struct PatientStore: Sendable {
    let database: Database

    private static let select = """
        SELECT p.*, m.fullscript_patient_id FROM patients p
        LEFT JOIN patient_mappings m ON m.ehr_patient_id = p.ehr_patient_id
        """

    func find(_ ehrPatientID: String) async throws -> PatientLookup {
        try await database.read { connection in
            guard let row = try connection.queryFirst(Self.select + " WHERE p.ehr_patient_id = ?", [.text(ehrPatientID)]) else {
                return .unknown
            }
            return try row.optionalString("deleted_at") == nil ? .found(try Self.record(row)) : .deleted
        }
    }

    /// Live patients ordered by id, `limit` at a time after the cursor `after`.
    func list(after: String? = nil, limit: Int) async throws -> [PatientRecord] {
        try await database.read { connection in
            try connection.query(
                Self.select + " WHERE p.deleted_at IS NULL AND p.ehr_patient_id > ? ORDER BY p.ehr_patient_id LIMIT ?",
                [.text(after ?? ""), .integer(Int64(limit))], Self.record
            )
        }
    }

    /// Inserts or replaces the patient's details (a deleted patient comes back); returns whether it is new.
    /// The mapping stays: the EHR patient is still the same person to Fullscript.
    @discardableResult
    func upsert(_ patient: PatientRecord, audit: AuditEntry, at date: Date) async throws -> Bool {
        let stamp = Timestamp.iso8601(date)
        return try await database.write { connection in
            try connection.transaction {
                let existed = try connection.queryFirst(
                    "SELECT 1 FROM patients WHERE ehr_patient_id = ? AND deleted_at IS NULL", [.text(patient.ehrPatientID)]
                ) != nil
                try connection.execute(
                    """
                    INSERT INTO patients (ehr_patient_id, email, first_name, last_name, date_of_birth, gender, mobile_number,
                                          created_at, updated_at, deleted_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    ON CONFLICT (ehr_patient_id) DO UPDATE SET
                        email = excluded.email, first_name = excluded.first_name, last_name = excluded.last_name,
                        date_of_birth = excluded.date_of_birth, gender = excluded.gender, mobile_number = excluded.mobile_number,
                        updated_at = excluded.updated_at, deleted_at = NULL,
                        created_at = CASE WHEN patients.deleted_at IS NULL THEN patients.created_at ELSE excluded.created_at END
                    """,
                    [.text(patient.ehrPatientID), SQLiteValue(patient.email), SQLiteValue(patient.firstName),
                     SQLiteValue(patient.lastName), SQLiteValue(patient.dateOfBirth), SQLiteValue(patient.gender),
                     SQLiteValue(patient.mobileNumber), .text(stamp), .text(stamp)]
                )
                try audit.insert(into: connection, at: date)
                return !existed
            }
        }
    }

    /// Wipes the details and the mapping, keeping a tombstone; false when there was no live patient.
    func delete(_ ehrPatientID: String, audit: AuditEntry, at date: Date) async throws -> Bool {
        let stamp = Timestamp.iso8601(date)
        return try await database.write { connection in
            try connection.transaction {
                let changed = try connection.execute(
                    """
                    UPDATE patients SET email = NULL, first_name = NULL, last_name = NULL, date_of_birth = NULL, gender = NULL,
                        mobile_number = NULL, updated_at = ?, deleted_at = ?
                    WHERE ehr_patient_id = ? AND deleted_at IS NULL
                    """,
                    [.text(stamp), .text(stamp), .text(ehrPatientID)]
                )
                guard changed == 1 else { return false }
                try connection.execute("DELETE FROM patient_mappings WHERE ehr_patient_id = ?", [.text(ehrPatientID)])
                try audit.insert(into: connection, at: date)
                return true
            }
        }
    }

    /// Remembers which Fullscript patient an EHR patient is; the first answer wins, and a patient
    /// deleted meanwhile gets no mapping.
    func recordMapping(ehrPatientID: String, fullscriptPatientID: String, at date: Date) async throws {
        try await database.write { connection in
            _ = try connection.execute(
                """
                INSERT INTO patient_mappings (ehr_patient_id, fullscript_patient_id, created_at)
                SELECT ehr_patient_id, ?, ? FROM patients WHERE ehr_patient_id = ? AND deleted_at IS NULL
                ON CONFLICT (ehr_patient_id) DO NOTHING
                """,
                [.text(fullscriptPatientID), .text(Timestamp.iso8601(date)), .text(ehrPatientID)]
            )
        }
    }

    /// Whether any EHR patient is linked to this Fullscript patient.
    func isMapped(fullscriptPatientID: String) async throws -> Bool {
        try await database.read { connection in
            try connection.queryFirst("SELECT 1 FROM patient_mappings WHERE fullscript_patient_id = ?", [.text(fullscriptPatientID)]) != nil
        }
    }

    /// Live EHR patients with this email (compared case-insensitively, as Fullscript matches) and
    /// no Fullscript patient yet: who a Fullscript patient we have not met can be.
    func unmappedPatients(withEmail email: String) async throws -> [String] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT p.ehr_patient_id FROM patients p LEFT JOIN patient_mappings m ON m.ehr_patient_id = p.ehr_patient_id
                WHERE p.deleted_at IS NULL AND m.ehr_patient_id IS NULL AND lower(p.email) = lower(?) ORDER BY p.ehr_patient_id
                """,
                [.text(email)]
            ) { try $0.string("ehr_patient_id") }
        }
    }

    private static func record(_ row: Row) throws -> PatientRecord {
        PatientRecord(
            ehrPatientID: try row.string("ehr_patient_id"), email: try row.optionalString("email"),
            firstName: try row.optionalString("first_name"), lastName: try row.optionalString("last_name"),
            dateOfBirth: try row.optionalString("date_of_birth"), gender: try row.optionalString("gender"),
            mobileNumber: try row.optionalString("mobile_number"), fullscriptPatientID: try row.optionalString("fullscript_patient_id"),
            createdAt: try row.string("created_at"), updatedAt: try row.string("updated_at")
        )
    }
}
