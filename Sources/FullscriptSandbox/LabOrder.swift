import Foundation

/// The lab side of a purchase that included labs (US only): its results move through states, and
/// `lab_order.updated` fires for `partial_results`, `results_ready` and `results_amended` only (§12).
struct LabOrder: Sendable, Equatable {
    /// Where a new lab order starts; not a webhook state, only polling sees it [inferred name].
    static let initialState = "awaiting_results"
    /// The states a lab advances to, each sending `lab_order.updated`.
    static let notifiedStates = ["partial_results", "results_ready", "results_amended"]

    var id: String
    var orderID: String
    var patientID: String
    var state: String
    var updatedAt: Date
    var tests: [LabRecommendation.Test]

    /// The member names are our reading of the labs reference [inferred].
    var json: JSON {
        .object([
            ("id", .string(id)), ("order_id", .string(orderID)), ("patient_id", .string(patientID)), ("state", .string(state)),
            ("updated_at", .string(Timestamp.iso(updatedAt))),
            ("tests", .array(tests.map { .object([("id", .string($0.id)), ("name", .string($0.name))]) })),
        ])
    }
}
