/// What pinning a tenant to the clinic of a new connection found.
enum ClinicPin: Sendable, Equatable {
    /// The tenant had no clinic: this connection's is now its clinic for good.
    case pinned
    /// The tenant's clinic already is this one.
    case matches
    /// The tenant is pinned to another clinic: `expected`.
    case otherClinic(expected: Tenant)
    /// Another tenant is pinned to this clinic: a clinic's data belongs to one practice.
    case clinicOfAnotherTenant

    var accepted: Bool { self == .pinned || self == .matches }
}
