/// A store's failure as the app sorts it: most are bugs (a 500), but a store that cannot be used
/// for now is the server's condition, not the request's, and is reported as such (a 503).
public protocol StoreError: Error, Sendable {
    /// The store's own message, without bound values.
    var message: String { get }
    /// The statement that failed, when one did.
    var sql: String? { get }
    /// Set when the work may succeed if tried again later; nil for every other failure.
    var unavailability: StoreUnavailability? { get }
}

public enum StoreUnavailability: Sendable, Equatable {
    /// Another program held the database, or concurrent writes kept conflicting, for longer than we wait.
    case busy
    /// The database server cannot be reached (down, restarting, refusing connections).
    case unreachable
}
