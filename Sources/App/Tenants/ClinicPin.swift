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
    /// The tenant has no clinic, and this connection may not be the one that decides it: a staff account,
    /// a patient-bound or viewer session, or a deployment where only the operator pins.
    case notPinnedYet(Tenant)

    var accepted: Bool { self == .pinned || self == .matches }
}
