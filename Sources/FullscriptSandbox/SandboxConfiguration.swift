/// What a Fullscript app registration holds in the API Dashboard, plus the sandbox's own address.
public struct SandboxConfiguration: Sendable {
    public var clientID: String = "sandbox-client"
    public var clientSecret: String = "sandbox-secret"
    /// Fullscript compares redirect_uri exactly against these; anything else gets a 404 on authorize.
    public var redirectURIs: [String]
    /// Where the sandbox itself is reachable, e.g. "http://127.0.0.1:8090": the base of every redirect_url.
    public var publicBaseURL: String
    public var webhookURL: String? = nil
    /// The Fullscript-Signature secret key.
    public var webhookSecret: String = "sandbox-webhook-secret"
    /// What the app must echo to the empty handshake POST before the event is sent.
    public var webhookChallenge: String = "sandbox-challenge"
    public var accessTokenLifetime: Int = 7200
    /// Fullscript's reference says the draft-link answer includes the patient id without naming its key;
    /// turning this off makes the app find the patient by email instead, as it must if the guess is wrong.
    public var draftLinkNamesPatient: Bool = true
    /// Requests per rolling 5 minutes, per access token.
    public var rateLimit: Int = 5000

    public init(redirectURIs: [String], publicBaseURL: String) {
        self.redirectURIs = redirectURIs
        self.publicBaseURL = publicBaseURL
    }
}
