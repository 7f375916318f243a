import Foundation

/// A patient's purchase from a plan, what `order.placed` carries (fullscript-api.md §7.5, §12).
struct Order: Sendable, Equatable {
    /// One thing bought: a product variant, or a lab panel (`type: "labs"` with a `lab_type`, §12).
    struct LineItem: Sendable, Equatable {
        var variantID: String?
        var quantity: Int
        var labName: String?

        /// `type` for a product line is our guess [inferred]; `labs` and `lab_type` are §12's.
        var json: JSON {
            guard let labName else {
                return .object([("variant_id", .optional(variantID)), ("quantity", .int(quantity)), ("type", .string("product"))])
            }
            return .object([("variant_id", .null), ("quantity", .int(quantity)), ("type", .string("labs")),
                            ("lab_type", .string("panel")), ("name", .string(labName))])
        }
    }

    var id: String
    var orderNumber: String
    var completedAt: Date
    var treatmentPlanIDs: [String]
    var patientID: String
    var practitionerIDs: [String]
    var lineItems: [LineItem]

    var json: JSON {
        .object([
            ("id", .string(id)), ("order_number", .string(orderNumber)), ("completed_at", .string(Timestamp.iso(completedAt))),
            ("treatment_plan_ids", .array(treatmentPlanIDs.map(JSON.string))), ("patient_id", .string(patientID)),
            ("practitioner_ids", .array(practitionerIDs.map(JSON.string))), ("line_items", .array(lineItems.map(\.json))),
        ])
    }
}
