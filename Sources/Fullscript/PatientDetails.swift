/// The patient a draft plan is for. Fullscript matches them in the clinic by email, or creates them.
/// Empty strings count as absent, so callers can pass EHR fields through unfiltered.
public struct PatientDetails: Sendable, Equatable {
    /// Required whenever any other field is given (Fullscript answers 422 otherwise).
    public var email: String
    public var firstName: String?
    public var lastName: String?
    /// `yyyy-mm-dd`.
    public var dateOfBirth: String?
    /// `male`, `female` or `x`.
    public var gender: String?
    /// E.164, e.g. `+12223334444`.
    public var mobileNumber: String?
    /// Percent off, on top of the clinic's discount.
    public var discount: Int?
    /// The EHR's id for the patient, sent as `metadata.id`, so a patient the link creates carries it and a later
    /// gateway link finds them by `external_id` (fullscript-api.md §4, §12). §3.1 lists no `metadata` for the
    /// draft link; that it is kept as on `POST /clinic/patients` is our guess, which the simulator follows.
    public var metadataID: String?

    public init(email: String, firstName: String? = nil, lastName: String? = nil, dateOfBirth: String? = nil,
                gender: String? = nil, mobileNumber: String? = nil, discount: Int? = nil, metadataID: String? = nil) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
        self.discount = discount
        self.metadataID = metadataID.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
    }

    /// The members Fullscript receives, all strings as its reference types them; empty ones left out.
    var fields: [String: String] {
        PatientFieldRules.present([
            "email": email, "first_name": firstName, "last_name": lastName, "date_of_birth": dateOfBirth,
            "gender": gender?.lowercased(), "mobile_number": mobileNumber, "discount": discount.map(String.init),
        ])
    }

    /// Problems Fullscript would reject, found before a patient record is created or an email sent.
    var problems: [String] {
        let fields = fields
        var problems: [String] = []
        if fields["email"] == nil, !fields.isEmpty { problems.append("Email is required when patient details are given") }
        problems += PatientFieldRules.problems(in: fields)
        if let discount, !(0...100).contains(discount) { problems.append("Discount must be between 0 and 100") }
        return problems
    }
}
