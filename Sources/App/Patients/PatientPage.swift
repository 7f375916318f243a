import Foundation
import Server
import HTTPTypes

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

    /// `onlyPatient`: the one patient a session is bound to (the launch token's `patient`), the whole list when live.
    static func response(_ request: Request, in patients: PatientStore, tenant: String, onlyPatient: String? = nil) async throws -> Response {
        let query = request.queryParameters
        let limit = query["limit"].flatMap(Int.init) ?? defaultSize
        guard sizes.contains(limit) else {
            return APIError.response(.badRequest, code: "bad_limit", message: "limit must be between 1 and 200", requestID: request.id)
        }
        // One more than asked says whether another page follows without a second query.
        let page: [PatientRecord]
        if let onlyPatient {
            guard case .found(let patient) = try await patients.find(onlyPatient, in: tenant), patient.ehrPatientID > query["after"] ?? "" else {
                return JSONBody.response(Body(patients: [], nextAfter: nil))
            }
            page = [patient]
        } else {
            page = try await patients.list(in: tenant, after: query["after"], limit: limit + 1)
        }
        let shown = Array(page.prefix(limit))
        return JSONBody.response(Body(patients: shown.map(PatientBody.init), nextAfter: page.count > limit ? shown.last?.ehrPatientID : nil))
    }
}
