public import Server

/// Learns who is clicking. The EHR launch-token session provides the real one; until it is
/// configured nobody is signed in, so every user-facing flow answers 401.
///
/// nil means "nobody is signed in"; failing to find out (a busy or broken database) throws, and
/// must never read as nil: that would answer a signed-in user with the sign-in page instead of
/// the 503 (`database_busy`, Retry-After) or 500 it is.
public protocol EHRIdentityProvider: Sendable {
    func user(for request: Request) async throws -> EHRUser?
    /// The same answer without counting as the user's activity: a live stream re-checking its
    /// session must not keep the idle session of a forgotten tab alive.
    func userWithoutActivity(for request: Request) async throws -> EHRUser?
    /// `userWithoutActivity`, also left in `request.context` when the provider can reuse it, so that
    /// the route's `user(for:)` after a rate-limit check does not look the session up a second time.
    func identify(_ request: inout Request) async throws -> EHRUser?
}

extension EHRIdentityProvider {
    /// Providers without an idle timeout have nothing to leave untouched.
    public func userWithoutActivity(for request: Request) async throws -> EHRUser? {
        try await user(for: request)
    }

    public func identify(_ request: inout Request) async throws -> EHRUser? {
        try await userWithoutActivity(for: request)
    }
}
