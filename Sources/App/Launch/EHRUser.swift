import Server

/// The signed-in EHR user behind a request.
public struct EHRUser: Sendable, Equatable {
    public let id: String
    public let name: String?
    /// The one EHR patient this session may see and act for (the launch token's `patient`); nil: every patient.
    public let patient: String?
    /// The launch token's `roles`; nil when it named none, which allows what every user could before the claim.
    public let roles: Set<EHRRole>?

    public init(id: String, name: String? = nil, patient: String? = nil, roles: Set<EHRRole>? = nil) {
        self.id = id
        self.name = name
        self.patient = patient
        self.roles = roles
    }

    /// Whether this user may make Fullscript act (a click, a connection, a refresh through their account):
    /// without `roles`, yes; with them, only a practitioner or staff member, never a viewer alone.
    var mayActInFullscript: Bool {
        roles.map { !$0.isDisjoint(with: [.practitioner, .staff]) } ?? true
    }
}
