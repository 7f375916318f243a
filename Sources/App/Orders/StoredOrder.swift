import Fullscript

/// An order as we keep it and show it. `line_items` stay Fullscript's JSON; once `PlanDescriber` has
/// looked them up, each product line gains `product` ({name, brand, form, size, sku}) as a plan's
/// recommendations do, and each lab line `is_lab: true`.
struct StoredOrder: Sendable, Equatable, Encodable {
    let id: String
    let orderNumber: String?
    let fullscriptPatientID: String?
    let completedAt: String
    let treatmentPlanIDs: [String]
    let practitionerIDs: [String]
    var lineItems: JSONValue
    /// A lab purchase (`line_items[].lab_type`, or `type: "labs"`).
    let isLab: Bool
    let changeSequence: Int64

    enum CodingKeys: String, CodingKey {
        case id, orderNumber = "order_number", fullscriptPatientID = "fullscript_patient_id", completedAt = "completed_at"
        case treatmentPlanIDs = "treatment_plan_ids", practitionerIDs = "practitioner_ids", lineItems = "line_items", isLab = "is_lab"
        case changeSequence = "change_seq"
    }
}
