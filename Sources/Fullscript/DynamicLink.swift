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
}

/// The draft link answers `{"dynamic_links": {"redirect_url"}}`, the new-plan link a top-level `redirect_url`;
/// either is accepted from all, and the singular `dynamic_link` that fullscript-api.md §12 expects from the gateway
/// link. The patient id's key is undocumented, so the likely places are tried in turn. A member of an unexpected
/// type counts as absent, as an unknown one does.
extension DynamicLink {
    /// Read with `JSONReader`, not `JSONDecoder`: every click reads one. Throws a `DecodingError`, as a decoder would.
    init(answer bytes: [UInt8]) throws {
        guard case .object(let answer)? = JSONValue(parsing: bytes) else { throw Self.unreadable("not a JSON object") }
        let links = Self.object(answer["dynamic_links"]) ?? Self.object(answer["dynamic_link"])
        guard let redirectURL = Self.text(links?["redirect_url"]) ?? Self.text(answer["redirect_url"]), !redirectURL.isEmpty else {
            throw Self.unreadable("no redirect_url")
        }
        self.redirectURL = redirectURL
        patientID = Self.text(links?["patient_id"]) ?? Self.text(Self.object(links?["patient"])?["id"])
            ?? Self.text(Self.object(answer["patient"])?["id"]) ?? Self.text(answer["patient_id"])
    }

    private static func unreadable(_ reason: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: [], debugDescription: reason))
    }

    private static func object(_ value: JSONValue?) -> [String: JSONValue]? {
        if case .object(let members)? = value { members } else { nil }
    }

    private static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { text } else { nil }
    }
}
