import Server

/// The signed-in EHR user behind a request: a user id means something only within its practice, so
/// the same id in two tenants is two people.
public struct EHRUser: Sendable, Equatable {
    public let id: String
    public let name: String?
    /// The practice (`Tenant.id`) the user signed in to; `default` when the launch token named none.
    public let tenant: String
    /// The one EHR patient this session may see and act for (the launch token's `patient`); nil: every patient.
    public let patient: String?
    /// The launch token's `roles`; nil when it named none, which allows what every user could before the claim.
    public let roles: Set<EHRRole>?

    public init(id: String, name: String? = nil, tenant: String = Tenant.defaultID, patient: String? = nil, roles: Set<EHRRole>? = nil) {
        self.id = id
        self.name = name
        self.tenant = tenant
        self.patient = patient
        self.roles = roles
    }

    /// Whether this user may make Fullscript act (a click, a connection, a refresh through their account):
    /// without `roles`, yes; with them, only a practitioner or staff member, never a viewer alone.
    var mayActInFullscript: Bool {
        roles.map { !$0.isDisjoint(with: [.practitioner, .staff]) } ?? true
    }
}
