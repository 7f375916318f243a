import Foundation

/// One EHR practice: its own users, patients, plans and service keys, bound to one Fullscript clinic
/// (pinned by the operator, or by its first practitioner's connection) in one Fullscript region.
public struct Tenant: Sendable, Equatable {
    public let id: String
    public let name: String
    public let region: FullscriptRegion
    /// nil until the operator or the tenant's first practitioner's connection pins it.
    public let fullscriptClinicID: String?
    /// As Fullscript named the clinic when it was pinned.
    public let fullscriptClinicName: String?
    public let createdAt: String

    /// The tenant of a launch without a `tenant` claim, and of everything stored before tenants existed.
    public static let defaultID = "default"
    static let maxIDLength = 64
    static let maxNameLength = 200
    static let maxClinicIDLength = 64

    /// The pinned clinic as people read it: its name and id, or that none is pinned yet.
    var pinnedClinicDescription: String {
        guard let fullscriptClinicID else { return "not pinned yet (a practitioner's first connection, or `tenants pin \(id) CLINIC_ID`, pins it)" }
        return fullscriptClinicName.map { "\($0) (\(fullscriptClinicID))" } ?? fullscriptClinicID
    }

    /// What an operator may type as a clinic id: Fullscript's ids are short ASCII tokens.
    static func isValidClinicID(_ id: String) -> Bool {
        ASCII.isPlainIdentifier(id, maxLength: maxClinicIDLength, marks: "-_")
    }

    /// 1 to 64 of a-z 0-9 -: it appears in URLs, logs and audit rows unescaped, and the schema checks the same.
    static func isValidID(_ id: String) -> Bool {
        (1...maxIDLength).contains(id.utf8.count)
            && id.utf8.allSatisfy { ASCII.isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Shown on pages and in `tenants list`: a line of text, never control characters.
    static func isValidName(_ name: String) -> Bool {
        (1...maxNameLength).contains(name.count) && name.unicodeScalars.allSatisfy { !CharacterSet.controlCharacters.contains($0) }
    }
}
