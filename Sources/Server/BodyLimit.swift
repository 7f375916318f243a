/// How much body a route reads. Every route declares it, and the default is none: the server
/// answers 413 before reading a byte of a body that a route did not ask for.
public enum BodyLimit: Sendable, Equatable {
    /// The route takes no body.
    case none
    /// The server's configured default (`HTTPLimits.maxBodySize`, small on purpose).
    case standard
    /// A route that needs more (or less) than the default says how much.
    case bytes(Int)

    /// nil stands for the server's configured default.
    var maxBodySize: Int? {
        switch self {
        case .none: 0
        case .standard: nil
        case .bytes(let count): count
        }
    }
}
