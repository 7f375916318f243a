import Foundation
import Fullscript
import Store

/// A plan as we keep it and show it: Fullscript's fields plus our change number, and, once
/// `PlanDescriber` has looked them up, the names behind its ids.
struct StoredPlan: Sendable, Equatable, Encodable {
    let id: String
    let fullscriptPatientID: String?
    let practitionerID: String?
    /// "First Last" from the clinic's practitioners; absent when not known (the id is shown instead).
    var practitionerName: String?
    let state: String
    let personalMessage: String?
    let invitationURL: String?
    /// Kept as Fullscript's JSON, so a field we do not model yet is not lost on the way to the chart.
    /// Each gains `product` ({name, brand, form, size, sku}) when the catalog named its variant.
    var recommendations: JSONValue
    /// Reading for the patient, as Fullscript sent it.
    let resources: JSONValue
    /// Lab panels, each with its `tests[]`, as Fullscript sent them.
    let labRecommendations: JSONValue
    let createdAt: String
    let updatedAt: String
    /// Orders placed from this plan (Healthie's `ordered_count`), and when the last was.
    let orderedCount: Int
    let lastOrderedAt: String?
    let changeSequence: Int64

    enum CodingKeys: String, CodingKey {
        case id, state, recommendations, resources, labRecommendations = "lab_recommendations"
        case fullscriptPatientID = "fullscript_patient_id", practitionerID = "practitioner_id", personalMessage = "personal_message"
        case practitionerName = "practitioner_name"
        case invitationURL = "invitation_url", createdAt = "created_at", updatedAt = "updated_at", changeSequence = "change_seq"
        case orderedCount = "ordered_count", lastOrderedAt = "last_ordered_at"
    }
}
