public import Foundation

/// A patient's treatment plan as the REST API returns it. Plans start as drafts; the practitioner
/// activates them in Fullscript.
public struct TreatmentPlan: Sendable, Equatable, Codable {
    /// `draft`, `active` or `cancelled`; a state Fullscript adds later is kept as `.other`.
    public enum State: Sendable, Hashable, Codable {
        case draft, active, cancelled
        case other(String)

        public init(rawValue: String) {
            switch rawValue.lowercased() {
            case "draft": self = .draft
            case "active": self = .active
            case "cancelled", "canceled": self = .cancelled
            default: self = .other(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .draft: "draft"
            case .active: "active"
            case .cancelled: "cancelled"
            case .other(let text): text
            }
        }

        public init(from decoder: any Decoder) throws {
            self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    public var id: String
    public var state: State
    public var createdAt: Date
    public var updatedAt: Date
    public var personalMessage: String?
    /// The patient's checkout link, the same one Fullscript emails.
    public var invitationURL: String?
    public var patientID: String?
    public var practitionerID: String?
    public var recommendations: [Recommendation]
    /// Reading for the patient (articles, handouts) attached to the plan, as Fullscript sent them: the
    /// shape is not documented, so it is kept whole (fullscript-api.md §12).
    public var resources: [JSONValue]
    /// Lab tests recommended on the plan, each `{…, tests: [{…}]}` as Fullscript sent it (§12).
    public var labRecommendations: [JSONValue]

    public init(id: String, state: State, createdAt: Date, updatedAt: Date, personalMessage: String? = nil,
                invitationURL: String? = nil, patientID: String? = nil, practitionerID: String? = nil,
                recommendations: [Recommendation] = [], resources: [JSONValue] = [], labRecommendations: [JSONValue] = []) {
        self.id = id
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.personalMessage = personalMessage
        self.invitationURL = invitationURL
        self.patientID = patientID
        self.practitionerID = practitionerID
        self.recommendations = recommendations
        self.resources = resources
        self.labRecommendations = labRecommendations
    }

    private enum CodingKeys: String, CodingKey {
        case id, state, createdAt = "created_at", updatedAt = "updated_at", personalMessage = "personal_message"
        case invitationURL = "invitation_url", patientID = "patient_id", practitionerID = "practitioner_id"
        case recommendations, resources, labRecommendations = "lab_recommendations"
        // The REST key names for the patient and practitioner are unconfirmed; Embed events nest them.
        case patient, practitioner
    }

    private enum NestedKeys: String, CodingKey { case id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        state = try container.decode(State.self, forKey: .state)
        createdAt = try container.decodeTimestamp(forKey: .createdAt)
        updatedAt = try container.decodeTimestamp(forKey: .updatedAt)
        personalMessage = container.decodeLenient(String.self, forKey: .personalMessage)
        invitationURL = container.decodeLenient(String.self, forKey: .invitationURL)
        patientID = Self.decodeReference(container, flat: .patientID, nested: .patient)
        practitionerID = Self.decodeReference(container, flat: .practitionerID, nested: .practitioner)
        recommendations = try container.decodeIfPresent([Recommendation].self, forKey: .recommendations) ?? []
        resources = container.decodeLenient([JSONValue].self, forKey: .resources) ?? []
        labRecommendations = container.decodeLenient([JSONValue].self, forKey: .labRecommendations) ?? []
    }

    /// Dates as ISO-8601 strings, so a plan encoded here decodes again with any decoder.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encodeIfPresent(personalMessage, forKey: .personalMessage)
        try container.encodeIfPresent(invitationURL, forKey: .invitationURL)
        try container.encodeIfPresent(patientID, forKey: .patientID)
        try container.encodeIfPresent(practitionerID, forKey: .practitionerID)
        try container.encode(recommendations, forKey: .recommendations)
        try container.encode(resources, forKey: .resources)
        try container.encode(labRecommendations, forKey: .labRecommendations)
    }

    private static func decodeReference(_ container: KeyedDecodingContainer<CodingKeys>, flat: CodingKeys, nested: CodingKeys) -> String? {
        container.decodeIDIfPresent(forKey: flat)
            ?? (try? container.nestedContainer(keyedBy: NestedKeys.self, forKey: nested))?.decodeIDIfPresent(forKey: .id)
    }
}
