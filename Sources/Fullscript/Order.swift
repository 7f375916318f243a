public import Foundation

/// A patient's purchase, as `order.placed` carries it and `GET /clinic/patients/{id}/orders` lists it
/// (fullscript-api.md §7.5, §12): which plans it came from and what was bought. Orders do not change
/// once placed.
public struct Order: Sendable, Equatable, Codable {
    /// One thing bought: a product variant, or a lab (`type: "labs"` or a `lab_type`, §12).
    public struct LineItem: Sendable, Equatable, Codable {
        public var variantID: String?
        public var quantity: Int?
        public var type: String?
        public var labType: String?

        public init(variantID: String?, quantity: Int? = nil, type: String? = nil, labType: String? = nil) {
            self.variantID = variantID
            self.quantity = quantity
            self.type = type
            self.labType = labType
        }

        /// The labs guide's example says `type: "labs"`; the webhook page names `lab_type`. Either marks a lab.
        public var isLab: Bool { type?.lowercased() == "labs" || labType.map { !$0.isEmpty } == true }

        private enum CodingKeys: String, CodingKey {
            case variantID = "variant_id", quantity, type, labType = "lab_type"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            variantID = container.decodeIDIfPresent(forKey: .variantID)
            quantity = container.decodeLenient(Int.self, forKey: .quantity)
            type = container.decodeLenient(String.self, forKey: .type)
            labType = container.decodeLenient(String.self, forKey: .labType)
        }
    }

    public var id: String
    public var orderNumber: String?
    /// When the patient checked out; nil if Fullscript did not say (the order is then dated when we learned of it).
    public var completedAt: Date?
    public var treatmentPlanIDs: [String]
    public var patientID: String?
    public var practitionerIDs: [String]
    public var lineItems: [LineItem]

    public init(id: String, orderNumber: String? = nil, completedAt: Date? = nil, treatmentPlanIDs: [String] = [], patientID: String? = nil,
                practitionerIDs: [String] = [], lineItems: [LineItem] = []) {
        self.id = id
        self.orderNumber = orderNumber
        self.completedAt = completedAt
        self.treatmentPlanIDs = treatmentPlanIDs
        self.patientID = patientID
        self.practitionerIDs = practitionerIDs
        self.lineItems = lineItems
    }

    /// A lab purchase: what the chart marks, since `order.placed` is the only webhook that says a lab was bought.
    public var isLabPurchase: Bool { lineItems.contains(where: \.isLab) }

    private enum CodingKeys: String, CodingKey {
        case id, orderNumber = "order_number", completedAt = "completed_at", treatmentPlanIDs = "treatment_plan_ids"
        case patientID = "patient_id", practitionerIDs = "practitioner_ids", lineItems = "line_items", patient
    }

    private enum NestedKeys: String, CodingKey { case id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        guard !id.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "empty") }
        orderNumber = container.decodeIDIfPresent(forKey: .orderNumber)
        completedAt = try? container.decodeTimestamp(forKey: .completedAt)
        treatmentPlanIDs = container.decodeLenient([String].self, forKey: .treatmentPlanIDs) ?? []
        patientID = container.decodeIDIfPresent(forKey: .patientID)
            ?? (try? container.nestedContainer(keyedBy: NestedKeys.self, forKey: .patient))?.decodeIDIfPresent(forKey: .id)
        practitionerIDs = container.decodeLenient([String].self, forKey: .practitionerIDs) ?? []
        lineItems = container.decodeLenient([LineItem].self, forKey: .lineItems) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(orderNumber, forKey: .orderNumber)
        try container.encodeIfPresent(completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(treatmentPlanIDs, forKey: .treatmentPlanIDs)
        try container.encodeIfPresent(patientID, forKey: .patientID)
        try container.encode(practitionerIDs, forKey: .practitionerIDs)
        try container.encode(lineItems, forKey: .lineItems)
    }
}
