/// The person a Fullscript token acts as, by name, from their practitioner or staff record.
/// Personal data: shown to the EHR user it belongs to, never logged.
struct AccountHolder: Sendable, Equatable {
    let firstName: String
    let lastName: String

    var fullName: String {
        [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ")
    }
}
