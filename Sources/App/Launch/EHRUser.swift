import Server

/// The signed-in EHR user behind a request: a user id means something only within its practice, so
/// the same id in two tenants is two people.
public struct EHRUser: Sendable, Equatable {
    public let id: String
    public let name: String?
    /// The practice (`Tenant.id`) the user signed in to; `default` when the launch token named none.
    public let tenant: String

    public init(id: String, name: String? = nil, tenant: String = Tenant.defaultID) {
        self.id = id
        self.name = name
        self.tenant = tenant
    }
}
