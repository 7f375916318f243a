public import Server

public struct NobodySignedIn: EHRIdentityProvider {
    public init() {}
    public func user(for request: Request) async throws -> EHRUser? { nil }
}
