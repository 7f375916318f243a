/// The clinic the bearer's user belongs to (`GET /clinic`); group stored data by `id`.
public struct Clinic: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var patientCount: Int?
    public var practitionerCount: Int?
    public var dispensaryURL: String?
    public var integrationID: String?

    public init(id: String, name: String, patientCount: Int? = nil, practitionerCount: Int? = nil,
                dispensaryURL: String? = nil, integrationID: String? = nil) {
        self.id = id
        self.name = name
        self.patientCount = patientCount
        self.practitionerCount = practitionerCount
        self.dispensaryURL = dispensaryURL
        self.integrationID = integrationID
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, patientCount = "patient_count", practitionerCount = "practitioner_count"
        case dispensaryURL = "dispensary_url", integrationID = "integration_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        patientCount = container.decodeLenient(Int.self, forKey: .patientCount)
        practitionerCount = container.decodeLenient(Int.self, forKey: .practitionerCount)
        dispensaryURL = container.decodeLenient(String.self, forKey: .dispensaryURL)
        integrationID = container.decodeIDIfPresent(forKey: .integrationID)
    }
}
