import Foundation

/// The body of `PATCH /api/clinic/patients/{id}` (fullscript-api.md §4: create's fields minus
/// `send_welcome_email`, all optional). A field left out stays as it is; `null` clears the fields a
/// patient may lack (birth date, gender, mobile number).
struct PatientUpdate: Sendable {
    enum Change: Sendable, Equatable {
        case set(String)
        case clear
    }

    var firstName: Change?
    var lastName: Change?
    var email: Change?
    var dateOfBirth: Change?
    var gender: Change?
    var mobileNumber: Change?
    var discount: Change?
    var metadataID: Change?

    init(json: JSON) {
        func change(_ value: JSON?) -> Change? {
            switch value {
            case nil: nil
            case .null?: .clear
            case let value?: value.text.map { .set($0.trimmed) } ?? .clear
            }
        }
        firstName = change(json["first_name"])
        lastName = change(json["last_name"])
        email = change(json["email"])
        dateOfBirth = change(json["date_of_birth"])
        gender = change(json["gender"])
        mobileNumber = change(json["mobile_number"])
        discount = change(json["discount"])
        metadataID = json["metadata"].flatMap { change($0["id"]) }
    }

    /// The sandbox's patient page: every field is a form field, and an empty optional one clears it. An
    /// empty email is left alone, so a dependent (who has none) can be saved.
    init(form: [String: String]) {
        func change(_ name: String) -> Change? {
            form[name].map { $0.trimmed.isEmpty ? .clear : .set($0.trimmed) }
        }
        firstName = change("first_name")
        lastName = change("last_name")
        email = change("email").flatMap { $0 == .clear ? nil : $0 }
        dateOfBirth = change("date_of_birth")
        gender = change("gender")
        mobileNumber = change("mobile_number")
    }

    /// In the order of the create call's messages; names and email cannot be removed.
    var errors: [String] {
        var errors: [String] = []
        if let firstName, firstName.value.isEmpty { errors.append("First name can't be blank") }
        if let lastName, lastName.value.isEmpty { errors.append("Last name can't be blank") }
        if let email {
            if email.value.isEmpty { errors.append("Email can't be blank") } else if !PatientInput.isEmail(email.value) { errors.append("Email is invalid") }
        }
        if case .set(let gender)? = gender, !["male", "female", "x"].contains(gender.lowercased()) {
            errors.append("Gender is not included in the list")
        }
        if case .set(let date)? = dateOfBirth, (try? Date(date, strategy: PatientInput.birthDate)) == nil {
            errors.append("Date of birth is invalid")
        }
        if let discount, Int(discount.value).map({ (0...100).contains($0) }) != true {
            errors.append("Discount must be between 0 and 100")
        }
        if case .set(let mobile)? = mobileNumber, !PatientInput.isMobileNumber(mobile) {
            errors.append("Mobile number is invalid")
        }
        return errors
    }

    func applied(to patient: Patient) -> Patient {
        var patient = patient
        if let firstName { patient.firstName = firstName.value }
        if let lastName { patient.lastName = lastName.value }
        if let email { patient.email = email.value }
        if let dateOfBirth { patient.dateOfBirth = dateOfBirth.optionalValue }
        if let gender { patient.gender = gender.optionalValue?.lowercased() }
        if let mobileNumber { patient.mobileNumber = mobileNumber.optionalValue }
        if let discount { patient.discount = Int(discount.value) ?? patient.discount }
        if let metadataID { patient.metadataID = metadataID.optionalValue }
        return patient
    }
}

extension PatientUpdate.Change {
    /// `clear` reads as empty, so a required field cleared fails its "can't be blank" check.
    var value: String {
        if case .set(let text) = self { text } else { "" }
    }

    var optionalValue: String? {
        if case .set(let text) = self, !text.isEmpty { text } else { nil }
    }
}
