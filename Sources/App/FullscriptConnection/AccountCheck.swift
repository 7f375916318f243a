import Foundation

/// Whether the connected Fullscript account looks like the signed-in EHR user. Seen: a practitioner
/// approved Fullscript's consent with another account selected and worked as that person unnoticed.
///
/// "Looks like" is deliberately simple: every word of the Fullscript last name appears as a word of
/// the EHR user's display name, ignoring case and accents ("Lee" looks like "Dr. Morgan Lee";
/// "Núñez-Ortiz" like "Ana Nunez Ortiz"). Without a Fullscript name or an EHR display name there is
/// nothing to compare, and no warning.
enum AccountCheck: String, Sendable, Encodable {
    case match
    case mismatch
    case unknown

    init(holder: AccountHolder?, ehrUserName: String?) {
        guard let holder, let ehrUserName else {
            self = .unknown
            return
        }
        let lastName = Self.words(holder.lastName)
        let ehrWords = Set(Self.words(ehrUserName))
        guard !lastName.isEmpty, !ehrWords.isEmpty else {
            self = .unknown
            return
        }
        self = lastName.allSatisfy(ehrWords.contains) ? .match : .mismatch
    }

    /// Runs of letters and digits, case- and accent-folded.
    static func words(_ text: String) -> [String] {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
            .split { !($0.isLetter || $0.isNumber) }
            .map(String.init)
    }
}
