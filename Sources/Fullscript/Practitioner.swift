/// A practitioner of the clinic: what a staff user picks from before drafting a plan.
public struct Practitioner: Sendable, Equatable, Codable {
    public var id: String
    public var firstName: String
    public var lastName: String
    public var email: String?
    public var practitionerTypeID: String?
    public var inviteAccepted: Bool?

    public init(id: String, firstName: String, lastName: String, email: String? = nil,
                practitionerTypeID: String? = nil, inviteAccepted: Bool? = nil) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.practitionerTypeID = practitionerTypeID
        self.inviteAccepted = inviteAccepted
    }

    private enum CodingKeys: String, CodingKey {
        case id, firstName = "first_name", lastName = "last_name", email
        case practitionerTypeID = "practitioner_type_id", inviteAccepted = "invite_accepted"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        firstName = try container.decode(String.self, forKey: .firstName)
        lastName = try container.decode(String.self, forKey: .lastName)
        email = container.decodeLenient(String.self, forKey: .email)
        practitionerTypeID = container.decodeIDIfPresent(forKey: .practitionerTypeID)
        inviteAccepted = container.decodeLenient(Bool.self, forKey: .inviteAccepted)
    }
}
