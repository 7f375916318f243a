/// The patient a gateway link names (fullscript-api.md §3.2, §12). Fullscript matches them in the
/// clinic by `id`, else by `externalID` (a patient's `metadata.id`), else by email; when nothing matches,
/// the practitioner matches them by hand, so no email is needed (a dependent has none).
/// Empty strings count as absent, so callers can pass EHR fields through unfiltered.
public struct GatewayPatient: Sendable, Equatable {
    /// The Fullscript patient id, once known: the exact match.
    public var id: String?
    /// The EHR's own id for the patient; a patient created from the link carries it as `metadata.id`.
    public var externalID: String?
    public var email: String?
    public var firstName: String
    public var lastName: String
    /// `yyyy-mm-dd`.
    public var dateOfBirth: String?
    /// `male`, `female` or `x`.
    public var gender: String?
    /// E.164, e.g. `+12223334444`.
    public var mobileNumber: String?

    public init(id: String? = nil, externalID: String? = nil, email: String? = nil, firstName: String, lastName: String,
                dateOfBirth: String? = nil, gender: String? = nil, mobileNumber: String? = nil) {
        self.id = id
        self.externalID = externalID
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
    }

    var fields: [String: String] {
        PatientFieldRules.present([
            "id": id, "external_id": externalID, "email": email, "first_name": firstName, "last_name": lastName,
            "date_of_birth": dateOfBirth, "gender": gender?.lowercased(), "mobile_number": mobileNumber,
        ])
    }

    /// Both names given: what the matching page creates the patient from.
    public var isNamed: Bool {
        !PatientFieldRules.isBlank(firstName) && !PatientFieldRules.isBlank(lastName)
    }

    /// The problems with `fields`, a patient's: names are required unless the Fullscript id names the patient
    /// exactly; the rest must be well formed.
    static func problems(in fields: [String: String]) -> [String] {
        var problems: [String] = []
        if fields["id"] == nil, fields["first_name"] == nil { problems.append("First name is required") }
        if fields["id"] == nil, fields["last_name"] == nil { problems.append("Last name is required") }
        return problems + PatientFieldRules.problems(in: fields)
    }
}
