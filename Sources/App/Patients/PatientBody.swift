import Foundation
import Server

/// A patient as the API shows it: every field present, null when unknown.
struct PatientBody: Encodable {
    let patient: PatientRecord

    init(_ patient: PatientRecord) {
        self.patient = patient
    }

    enum CodingKeys: String, CodingKey {
        case id, email, gender
        case firstName = "first_name", lastName = "last_name", dateOfBirth = "date_of_birth", mobileNumber = "mobile_number"
        case fullscriptPatientID = "fullscript_patient_id", createdAt = "created_at", updatedAt = "updated_at"
        case fullscriptSync = "fullscript_sync"
    }

    private enum SyncKeys: String, CodingKey {
        case status, error
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(patient.ehrPatientID, forKey: .id)
        try container.encode(patient.email, forKey: .email)
        try container.encode(patient.firstName, forKey: .firstName)
        try container.encode(patient.lastName, forKey: .lastName)
        try container.encode(patient.dateOfBirth, forKey: .dateOfBirth)
        try container.encode(patient.gender, forKey: .gender)
        try container.encode(patient.mobileNumber, forKey: .mobileNumber)
        try container.encode(patient.fullscriptPatientID, forKey: .fullscriptPatientID)
        try container.encode(patient.createdAt, forKey: .createdAt)
        try container.encode(patient.updatedAt, forKey: .updatedAt)
        if let sync = patient.fullscriptSync {
            var members = container.nestedContainer(keyedBy: SyncKeys.self, forKey: .fullscriptSync)
            try members.encode(sync.status, forKey: .status)
            try members.encode(sync.error, forKey: .error)
            try members.encode(sync.updatedAt, forKey: .updatedAt)
        } else {
            try container.encodeNil(forKey: .fullscriptSync)
        }
    }
}
