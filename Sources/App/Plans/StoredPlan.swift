import Foundation
import Fullscript
import Store

/// A plan as we keep it and show it: Fullscript's fields plus our change number.
struct StoredPlan: Sendable, Equatable, Encodable {
    let id: String
    let fullscriptPatientID: String?
    let practitionerID: String?
    let state: String
    let personalMessage: String?
    let invitationURL: String?
    /// Kept as Fullscript's JSON, so a field we do not model yet is not lost on the way to the chart.
    let recommendations: JSONValue
    let createdAt: String
    let updatedAt: String
    let changeSequence: Int64

    enum CodingKeys: String, CodingKey {
        case id, state, recommendations
        case fullscriptPatientID = "fullscript_patient_id", practitionerID = "practitioner_id", personalMessage = "personal_message"
        case invitationURL = "invitation_url", createdAt = "created_at", updatedAt = "updated_at", changeSequence = "change_seq"
    }
}
