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
