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

    public init(id: String, firstName: String? = nil, lastName: String? = nil, email: String? = nil,
                dateOfBirth: String? = nil, gender: String? = nil, mobileNumber: String? = nil,
                isDependent: Bool? = nil, guardianPatientID: String? = nil) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
        self.isDependent = isDependent
        self.guardianPatientID = guardianPatientID
    }

    private enum CodingKeys: String, CodingKey {
        case id, firstName = "first_name", lastName = "last_name", email, dateOfBirth = "date_of_birth", gender
        case mobileNumber = "mobile_number", isDependent = "is_dependent", guardianPatientID = "guardian_patient_id"
    }

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
    }
}
