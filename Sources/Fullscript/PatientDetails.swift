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

    public init(email: String, firstName: String? = nil, lastName: String? = nil, dateOfBirth: String? = nil,
                gender: String? = nil, mobileNumber: String? = nil, discount: Int? = nil) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
        self.discount = discount
    }

    /// The members Fullscript receives, all strings as its reference types them; empty ones left out.
    var fields: [String: String] {
        let candidates: [String: String?] = [
            "email": email, "first_name": firstName, "last_name": lastName, "date_of_birth": dateOfBirth,
            "gender": gender?.lowercased(), "mobile_number": mobileNumber, "discount": discount.map(String.init),
        ]
        return candidates.compactMapValues { value in
            guard let value, !value.allSatisfy(\.isWhitespace) else { return nil }
            return value
        }
    }

    /// Problems Fullscript would reject, found before a patient record is created or an email sent.
    var problems: [String] {
        let fields = fields
        var problems: [String] = []
        if fields["email"] == nil, !fields.isEmpty { problems.append("Email is required when patient details are given") }
        if let gender = fields["gender"], !["male", "female", "x"].contains(gender) {
            problems.append("Gender must be male, female or x")
        }
        if let date = fields["date_of_birth"], !Self.isCalendarDate(date) {
            problems.append("Date of birth must be yyyy-mm-dd")
        }
        if let mobile = fields["mobile_number"], !E164.isValid(mobile) {
            problems.append("Mobile number must be in international format, like +12223334444")
        }
        if let discount, !(0...100).contains(discount) { problems.append("Discount must be between 0 and 100") }
        return problems
    }

    private static func isCalendarDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return false }
        return year > 0 && (1...12).contains(month) && (1...31).contains(day)
    }
}
