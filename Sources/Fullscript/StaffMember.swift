/// A staff member ("clerk") of the clinic, as `GET /clinic/staff/{id}` answers: who a `Staff` token
/// acts as.
public struct StaffMember: Sendable, Equatable, Codable {
    public var id: String
    public var firstName: String
    public var lastName: String
    public var email: String?

    public init(id: String, firstName: String, lastName: String, email: String? = nil) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
    }

    private enum CodingKeys: String, CodingKey {
        case id, firstName = "first_name", lastName = "last_name", email
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        firstName = try container.decode(String.self, forKey: .firstName)
        lastName = try container.decode(String.self, forKey: .lastName)
        email = container.decodeLenient(String.self, forKey: .email)
    }
}
