/// A Fullscript patient of the bearer's clinic (the same person in two clinics is two patients).
public struct Patient: Sendable, Equatable, Codable {
    public var id: String
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    /// `yyyy-mm-dd`.
    public var dateOfBirth: String?
    /// `male`, `female` or `x`.
    public var gender: String?
    public var mobileNumber: String?
    /// Whether the patient is a dependent; `guardianPatientID` is then the guardian.
    public var isDependent: Bool?
    public var guardianPatientID: String?
    /// `metadata.id`: the EHR's id for the patient, as given on creation or as a gateway link's `external_id`.
    public var metadataID: String?

    public init(id: String, firstName: String? = nil, lastName: String? = nil, email: String? = nil,
                dateOfBirth: String? = nil, gender: String? = nil, mobileNumber: String? = nil,
                isDependent: Bool? = nil, guardianPatientID: String? = nil, metadataID: String? = nil) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
        self.isDependent = isDependent
        self.guardianPatientID = guardianPatientID
        self.metadataID = metadataID
    }

    private enum CodingKeys: String, CodingKey {
        case id, firstName = "first_name", lastName = "last_name", email, dateOfBirth = "date_of_birth", gender
        case mobileNumber = "mobile_number", isDependent = "is_dependent", guardianPatientID = "guardian_patient_id", metadata
    }

    private enum MetadataKeys: String, CodingKey { case id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        firstName = container.decodeLenient(String.self, forKey: .firstName)
        lastName = container.decodeLenient(String.self, forKey: .lastName)
        email = container.decodeLenient(String.self, forKey: .email)
        dateOfBirth = container.decodeLenient(String.self, forKey: .dateOfBirth)
        gender = container.decodeLenient(String.self, forKey: .gender)
        mobileNumber = container.decodeLenient(String.self, forKey: .mobileNumber)
        isDependent = container.decodeLenient(Bool.self, forKey: .isDependent)
        guardianPatientID = container.decodeIDIfPresent(forKey: .guardianPatientID)
        metadataID = (try? container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata))?.decodeIDIfPresent(forKey: .id)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(firstName, forKey: .firstName)
        try container.encodeIfPresent(lastName, forKey: .lastName)
        try container.encodeIfPresent(email, forKey: .email)
        try container.encodeIfPresent(dateOfBirth, forKey: .dateOfBirth)
        try container.encodeIfPresent(gender, forKey: .gender)
        try container.encodeIfPresent(mobileNumber, forKey: .mobileNumber)
        try container.encodeIfPresent(isDependent, forKey: .isDependent)
        try container.encodeIfPresent(guardianPatientID, forKey: .guardianPatientID)
        if let metadataID {
            var metadata = container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata)
            try metadata.encode(metadataID, forKey: .id)
        }
    }
}
