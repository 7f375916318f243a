/// The demographics to change on a Fullscript patient (`PATCH /clinic/patients/{id}`, fullscript-api.md §4).
/// A nil field is left as it is. Names and email can only be replaced; the birth date, gender and mobile
/// number can also be removed (`.clear`, sent as `null`).
public struct PatientUpdate: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case set(String)
        case clear
    }

    public var firstName: String?
    public var lastName: String?
    public var email: String?
    /// `yyyy-mm-dd`.
    public var dateOfBirth: Change?
    /// `male`, `female` or `x`.
    public var gender: Change?
    /// E.164, e.g. `+12223334444`.
    public var mobileNumber: Change?

    public init(firstName: String? = nil, lastName: String? = nil, email: String? = nil, dateOfBirth: Change? = nil,
                gender: Change? = nil, mobileNumber: Change? = nil) {
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.dateOfBirth = dateOfBirth
        self.gender = gender
        self.mobileNumber = mobileNumber
    }

    /// The values being set, by API name.
    private var values: [String: String] {
        func value(_ change: Change?) -> String? {
            if case .set(let text)? = change { text } else { nil }
        }
        return [
            "first_name": firstName, "last_name": lastName, "email": email, "date_of_birth": value(dateOfBirth),
            "gender": value(gender)?.lowercased(), "mobile_number": value(mobileNumber),
        ].compactMapValues(\.self)
    }

    /// Throws `.validation` with every problem found: a blank name or email, a malformed value, or nothing to change.
    public func validate() throws(FullscriptError) {
        let values = values
        var problems: [String] = []
        for (name, label) in [("first_name", "First name"), ("last_name", "Last name"), ("email", "Email")]
        where values[name]?.allSatisfy(\.isWhitespace) == true {
            problems.append("\(label) must not be blank")
        }
        problems += PatientFieldRules.problems(in: values)
        if self == PatientUpdate() { problems.append("Nothing to update") }
        if !problems.isEmpty { throw FullscriptError(.validation(problems)) }
    }

    /// Set fields as strings, cleared ones as `null`, the rest left out.
    var body: PatientUpdateBody {
        var members = values.mapValues(Optional.some)
        for (name, change) in [("date_of_birth", dateOfBirth), ("gender", gender), ("mobile_number", mobileNumber)] where change == .clear {
            members[name] = .some(nil)
        }
        return PatientUpdateBody(members: members)
    }
}

struct PatientUpdateBody: Encodable {
    var members: [String: String?]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: MemberKey.self)
        for (name, value) in members {
            if let value { try container.encode(value, forKey: MemberKey(name)) } else { try container.encodeNil(forKey: MemberKey(name)) }
        }
    }
}
