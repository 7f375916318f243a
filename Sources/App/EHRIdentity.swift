import Server

/// The signed-in EHR user behind a request.
public struct EHRUser: Sendable, Equatable {
    public let id: String
    public let name: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// Learns who is clicking. The EHR launch-token session provides the real one; until it is
/// configured nobody is signed in, so every user-facing flow answers 401.
public protocol EHRIdentityProvider: Sendable {
    func user(for request: Request) async -> EHRUser?
}

public struct NobodySignedIn: EHRIdentityProvider {
    public init() {}
    public func user(for request: Request) async -> EHRUser? { nil }
}
