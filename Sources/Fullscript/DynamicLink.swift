/// Where to send the practitioner (in a new tab). Fetch one per click: the URL differs per
/// environment, and a draft link reopens the same draft plan.
public struct DynamicLink: Sendable, Equatable {
    public var redirectURL: String
    /// The patient Fullscript matched or created, when the answer names one.
    public var patientID: String?
    /// Fullscript's `X-Request-Id` for the call that made the link, for the audit trail.
    public var requestID: String?

    public init(redirectURL: String, patientID: String? = nil, requestID: String? = nil) {
        self.redirectURL = redirectURL
        self.patientID = patientID
        self.requestID = requestID
    }

    /// The draft link answers `{"dynamic_links": {"redirect_url"}}`, the new-plan link a top-level
    /// `redirect_url`; either is accepted from all, and the singular `dynamic_link` that fullscript-api.md
    /// §12 expects from the gateway link. The patient id's key is undocumented, so the likely places are tried in turn.
    init?(json: JSONValue) {
        let links = json["dynamic_links"] ?? json["dynamic_link"]
        guard let redirectURL = (links?["redirect_url"] ?? json["redirect_url"])?.string, !redirectURL.isEmpty else {
            return nil
        }
        self.redirectURL = redirectURL
        patientID = [links?["patient_id"], links?["patient"]?["id"], json["patient"]?["id"], json["patient_id"]]
            .lazy.compactMap { $0?.string }.first
    }
}
