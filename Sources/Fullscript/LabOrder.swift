public import Foundation

/// A lab order and where its results stand, as `lab_order.updated` carries it and
/// `GET /clinic/labs/orders` lists it (fullscript-api.md §12; US only). The webhook fires for
/// `partial_results`, `results_ready` and `results_amended`; other states are only seen by polling.
/// The member names are not documented: `state` (or `status`), `patient_id` (or `patient.id`),
/// `order_id`, `updated_at`, `tests[]` are our reading [inferred].
public struct LabOrder: Sendable, Equatable, Codable {
    public var id: String
    public var state: String
    public var patientID: String?
    /// The purchase (`order.placed`) the lab order came from, when Fullscript says.
    public var orderID: String?
    public var updatedAt: Date
    /// The tests ordered, as Fullscript sent them (`[{id, name}]`).
    public var tests: [JSONValue]

    public init(id: String, state: String, patientID: String? = nil, orderID: String? = nil, updatedAt: Date, tests: [JSONValue] = []) {
        self.id = id
        self.state = state
        self.patientID = patientID
        self.orderID = orderID
        self.updatedAt = updatedAt
        self.tests = tests
    }

    private enum CodingKeys: String, CodingKey {
        case id, state, status, patientID = "patient_id", patient, orderID = "order_id", updatedAt = "updated_at", tests
    }

    private enum NestedKeys: String, CodingKey { case id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        guard !id.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "empty") }
        guard let state = container.decodeLenient(String.self, forKey: .state) ?? container.decodeLenient(String.self, forKey: .status),
              !state.isEmpty else {
            throw DecodingError.keyNotFound(CodingKeys.state, .init(codingPath: container.codingPath, debugDescription: "no state or status"))
        }
        self.state = state
        patientID = container.decodeIDIfPresent(forKey: .patientID)
            ?? (try? container.nestedContainer(keyedBy: NestedKeys.self, forKey: .patient))?.decodeIDIfPresent(forKey: .id)
        orderID = container.decodeIDIfPresent(forKey: .orderID)
        updatedAt = try container.decodeTimestamp(forKey: .updatedAt)
        tests = container.decodeLenient([JSONValue].self, forKey: .tests) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(patientID, forKey: .patientID)
        try container.encodeIfPresent(orderID, forKey: .orderID)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encode(tests, forKey: .tests)
    }
}
