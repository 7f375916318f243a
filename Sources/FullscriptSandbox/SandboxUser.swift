/// A Fullscript user who can authorize the app; each gets their own tokens, which act in the user's clinic only.
public struct SandboxUser: Sendable, Equatable {
    public var id: String
    /// "Practitioner" or "Staff", as in the token's `resource_owner.type`.
    public var type: String
    public var firstName: String
    public var lastName: String
    public var email: String
    /// The clinic the user belongs to: every clinic-scoped call made with their token sees that clinic alone.
    public var clinicID: String

    public init(id: String, type: String, firstName: String, lastName: String, email: String, clinicID: String) {
        self.id = id
        self.type = type
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.clinicID = clinicID
    }

    var isPractitioner: Bool { type == SandboxUser.practitioner }
    var fullName: String { "\(firstName) \(lastName)" }

    static let practitioner = "Practitioner"
    static let staff = "Staff"
}
