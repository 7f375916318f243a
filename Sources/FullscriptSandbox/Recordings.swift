/// An `/api` request as the sandbox received it, for tests that assert what the app sent.
public struct RecordedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: String?
    public var bearerToken: String?
    public var body: [UInt8]
    public var requestID: String

    public init(method: String, path: String, query: String?, bearerToken: String?, body: [UInt8], requestID: String) {
        self.method = method
        self.path = path
        self.query = query
        self.bearerToken = bearerToken
        self.body = body
        self.requestID = requestID
    }
}

/// A welcome email Fullscript would have sent to a newly created patient. Recorded, never sent:
/// the docs warn that development addresses receive real ones.
public struct RecordedEmail: Sendable, Equatable {
    public var to: String
    public var patientID: String

    public init(to: String, patientID: String) {
        self.to = to
        self.patientID = patientID
    }
}
