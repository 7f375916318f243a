import Foundation
import HTTPTypes
import Server

/// Patient fields as a dynamic-link body or the plan page's form sends them (all strings, per the reference).
struct PatientInput: Sendable, Equatable {
    var email: String?
    var firstName: String?
    var lastName: String?
    var dateOfBirth: String?
    var gender: String?
    var mobileNumber: String?
    var discount: String?
    var sendWelcomeEmail: String?
    var metadataID: String?

    init(json: JSON) {
        email = json["email"]?.text
        firstName = json["first_name"]?.text
        lastName = json["last_name"]?.text
        dateOfBirth = json["date_of_birth"]?.text
        gender = json["gender"]?.text
        mobileNumber = json["mobile_number"]?.text
        discount = json["discount"]?.text
        sendWelcomeEmail = json["send_welcome_email"]?.text
        metadataID = json["metadata"]?["id"]?.text
    }

    /// The gateway link's patient (fullscript-api.md §3.2): `external_id` is what a created patient
    /// carries as `metadata.id`; `id` names a Fullscript patient and is matched, never stored.
    init(gatewayJSON json: JSON) {
        self.init(json: json)
        metadataID = json["external_id"]?.text.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
    }

    init(email: String?, firstName: String?, lastName: String?) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
    }

    var isEmpty: Bool {
        [email, firstName, lastName, dateOfBirth, gender, mobileNumber, discount, sendWelcomeEmail].allSatisfy { ($0 ?? "").isEmpty }
    }

    /// Welcome emails go out unless the app says "false" (the default is true).
    var wantsWelcomeEmail: Bool {
        sendWelcomeEmail?.lowercased() != "false"
    }

    /// Without an email nothing can be matched, so the errors are those of creating the patient,
    /// in the order of the documented example: `["Last name can't be blank", "Email can't be blank", "Email is invalid"]`.
    var matchErrors: [String] {
        guard let email = email?.trimmed, !email.isEmpty else {
            return creationErrors
        }
        return Self.isEmail(email) ? [] : ["Email is invalid"]
    }

    var creationErrors: [String] {
        var errors = nameErrors
        let email = email?.trimmed ?? ""
        if email.isEmpty { errors.append("Email can't be blank") }
        if !Self.isEmail(email) { errors.append("Email is invalid") }
        return errors + formatErrors
    }

    /// A dependent (a child) has no email of their own, so only the gateway's matching page creates
    /// one without; an email given must still be valid.
    var dependentCreationErrors: [String] {
        nameErrors + givenEmailErrors + formatErrors
    }

    /// What the gateway link refuses with a 400 before anything is matched: malformed values, not missing ones.
    var gatewayErrors: [String] {
        givenEmailErrors + formatErrors
    }

    private var givenEmailErrors: [String] {
        guard let email = email?.trimmed, !email.isEmpty, !Self.isEmail(email) else { return [] }
        return ["Email is invalid"]
    }

    private var nameErrors: [String] {
        var errors: [String] = []
        if (firstName?.trimmed ?? "").isEmpty { errors.append("First name can't be blank") }
        if (lastName?.trimmed ?? "").isEmpty { errors.append("Last name can't be blank") }
        return errors
    }

    private var formatErrors: [String] {
        var errors: [String] = []
        if let gender, !gender.isEmpty, !["male", "female", "x"].contains(gender.lowercased()) {
            errors.append("Gender is not included in the list")
        }
        if let dateOfBirth, !dateOfBirth.isEmpty, (try? Date(dateOfBirth, strategy: Self.birthDate)) == nil {
            errors.append("Date of birth is invalid")
        }
        if let discount, !discount.isEmpty, Int(discount).map({ (0...100).contains($0) }) != true {
            errors.append("Discount must be between 0 and 100")
        }
        if let mobileNumber, !mobileNumber.isEmpty, !Self.isMobileNumber(mobileNumber) {
            errors.append("Mobile number is invalid")
        }
        return errors
    }

    var newPatient: Patient {
        Patient(
            id: "", firstName: firstName?.trimmed ?? "", lastName: lastName?.trimmed ?? "",
            email: email.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed },
            dateOfBirth: dateOfBirth.flatMap { $0.isEmpty ? nil : $0 }, gender: gender.flatMap { $0.isEmpty ? nil : $0.lowercased() },
            mobileNumber: mobileNumber.flatMap { $0.isEmpty ? nil : $0 }, discount: discount.flatMap { Int($0) } ?? 0,
            metadataID: metadataID
        )
    }

    static let birthDate = Date.ISO8601FormatStyle().year().month().day()

    /// `+` and 7 to 15 digits, as the reference's `+12223334444`.
    static func isMobileNumber(_ text: String) -> Bool {
        text.first == "+" && (7...15).contains(text.count - 1) && text.dropFirst().allSatisfy(\.isASCII) && text.dropFirst().allSatisfy(\.isNumber)
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension Response {
    /// Fullscript's documented 422 body: a string that holds a Ruby-style array of messages.
    static func unprocessable(_ errors: [String]) -> Response {
        .jsonError(messageList(errors), status: .unprocessableContent)
    }

    /// The gateway link documents 200/400 only (§3.2), so its refusals are 400s with the same body.
    static func invalid(_ errors: [String]) -> Response {
        .jsonError(messageList(errors), status: .badRequest)
    }

    private static func messageList(_ errors: [String]) -> String {
        "[" + errors.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ", ") + "]"
    }
}
