import Foundation

/// One EHR practice: its own users, patients, plans and service keys, bound to one Fullscript clinic
/// (pinned by its first connection) in one Fullscript region.
public struct Tenant: Sendable, Equatable {
    public let id: String
    public let name: String
    public let region: FullscriptRegion
    /// nil until the tenant's first connection pins it.
    public let fullscriptClinicID: String?
    /// As Fullscript named the clinic when it was pinned.
    public let fullscriptClinicName: String?
    public let createdAt: String

    /// The tenant of a launch without a `tenant` claim, and of everything stored before tenants existed.
    public static let defaultID = "default"
    static let maxIDLength = 64
    static let maxNameLength = 200

    /// 1 to 64 of a-z 0-9 -: it appears in URLs, logs and audit rows unescaped, and the schema checks the same.
    /// The pinned clinic as people read it: its name and id, or that none is pinned yet.
    var pinnedClinicDescription: String {
        guard let fullscriptClinicID else { return "not pinned yet (its first connection pins it)" }
        return fullscriptClinicName.map { "\($0) (\(fullscriptClinicID))" } ?? fullscriptClinicID
    }

    static func isValidID(_ id: String) -> Bool {
        (1...maxIDLength).contains(id.utf8.count)
            && id.utf8.allSatisfy { ASCII.isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Shown on pages and in `tenants list`: a line of text, never control characters.
    static func isValidName(_ name: String) -> Bool {
        (1...maxNameLength).contains(name.count) && name.unicodeScalars.allSatisfy { !CharacterSet.controlCharacters.contains($0) }
    }
}
