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
    }
}

/// `?after=&limit=` pages of live patients ordered by id, for the chart (`/ehr/api/patients`) and for
/// services (`/api/v1/patients`): a cursor rather than offsets, so patients added or deleted between
/// two pages neither repeat nor go missing.
enum PatientPage {
    static let defaultSize = 50
    static let sizes = 1...200

    private struct Body: Encodable {
        let patients: [PatientBody]
        /// Absent on the last page.
        let nextAfter: String?

        enum CodingKeys: String, CodingKey { case patients, nextAfter = "next_after" }
    }

    static func response(_ request: Request, in patients: PatientStore) async throws -> Response {
        let query = request.queryParameters
        let limit = query["limit"].flatMap(Int.init) ?? defaultSize
        guard sizes.contains(limit) else {
            return APIError.response(.badRequest, code: "bad_limit", message: "limit must be between 1 and 200", requestID: request.id)
        }
        // One more than asked says whether another page follows without a second query.
        let page = try await patients.list(after: query["after"], limit: limit + 1)
        let shown = Array(page.prefix(limit))
        return JSONBody.response(Body(patients: shown.map(PatientBody.init), nextAfter: page.count > limit ? shown.last?.ehrPatientID : nil))
    }
}
