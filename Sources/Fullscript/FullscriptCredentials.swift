/// The app's identity at Fullscript, from the API Dashboard (one per environment and region).
public struct FullscriptCredentials: Sendable {
    public var clientID: String
    public var clientSecret: String
    /// Must equal the URI registered in the Dashboard exactly, or the consent page answers 404.
    public var redirectURI: String

    public init(clientID: String, clientSecret: String, redirectURI: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
    }
}

/// Credentials end up in logs through string interpolation and `dump`; neither may show the secret.
extension FullscriptCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "FullscriptCredentials(clientID: \(clientID), clientSecret: <redacted>, redirectURI: \(redirectURI))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["clientID": clientID, "clientSecret": "<redacted>", "redirectURI": redirectURI])
    }
}
