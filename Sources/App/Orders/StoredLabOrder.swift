import Fullscript

/// A lab order's latest known state, as the chart shows it.
struct StoredLabOrder: Sendable, Equatable, Encodable {
    let id: String
    let fullscriptPatientID: String?
    let orderID: String?
    /// Fullscript's: `partial_results`, `results_ready`, `results_amended`, or a state only polling sees.
    let state: String
    let tests: JSONValue
    let updatedAt: String
    let changeSequence: Int64

    enum CodingKeys: String, CodingKey {
        case id, fullscriptPatientID = "fullscript_patient_id", orderID = "order_id", state, tests, updatedAt = "updated_at"
        case changeSequence = "change_seq"
    }
}
