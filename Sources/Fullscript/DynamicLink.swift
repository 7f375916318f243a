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

/// Decoded straight from the answer, not through `JSONValue`: every click reads one, and building a
/// tree of every member only to pick two strings cost more than the rest of the answer's handling.
///
/// The draft link answers `{"dynamic_links": {"redirect_url"}}`, the new-plan link a top-level
/// `redirect_url`; either is accepted from all, and the singular `dynamic_link` that fullscript-api.md
/// §12 expects from the gateway link. The patient id's key is undocumented, so the likely places are
/// tried in turn. A member of an unexpected type counts as absent, as an unknown one does.
extension DynamicLink: Decodable {
    public init(from decoder: any Decoder) throws {
        let answer = try decoder.container(keyedBy: MemberKey.self)
        let top = LinkMembers(answer)
        let links = answer.decodeLenient(LinkMembers.self, forKey: MemberKey("dynamic_links"))
            ?? answer.decodeLenient(LinkMembers.self, forKey: MemberKey("dynamic_link"))
        guard let redirectURL = links?.redirectURL ?? top.redirectURL, !redirectURL.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no redirect_url"))
        }
        self.redirectURL = redirectURL
        patientID = links?.patientID ?? links?.patient?.id ?? top.patient?.id ?? top.patientID
    }

    /// The members a link may carry, at the top level or under `dynamic_links`.
    private struct LinkMembers: Decodable {
        var redirectURL: String?
        var patientID: String?
        var patient: PatientMember?

        init(from decoder: any Decoder) throws {
            self.init(try decoder.container(keyedBy: MemberKey.self))
        }

        init(_ members: KeyedDecodingContainer<MemberKey>) {
            redirectURL = members.decodeLenient(String.self, forKey: MemberKey("redirect_url"))
            patientID = members.decodeLenient(String.self, forKey: MemberKey("patient_id"))
            patient = members.decodeLenient(PatientMember.self, forKey: MemberKey("patient"))
        }
    }

    private struct PatientMember: Decodable {
        var id: String?

        init(from decoder: any Decoder) throws {
            id = try decoder.container(keyedBy: MemberKey.self).decodeLenient(String.self, forKey: MemberKey("id"))
        }
    }
}
