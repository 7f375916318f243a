import Foundation
import HTTPTypes
/// The links behind "Recommend with Fullscript" (scope `clinic:write`; `patients:write` when a
/// patient may be created). Never cache them: fetch one per click.
extension FullscriptClient {
    /// A draft plan for `request.patient`, matched or created by email. Validates first: nothing is
    /// sent when the request would be refused or would create a patient from partial data.
    public func draftTreatmentPlanLink(accessToken: String, _ request: DraftTreatmentPlanLinkRequest) async throws(FullscriptError) -> DynamicLink {
        try request.validate()
        var call = APIRequest(.post, "clinic", "dynamic_links", "treatment_plans", endpoint: "create_draft_treatment_plan_link", accessToken: accessToken)
        call.body = request.body.json.bytes
        return try await link(call)
    }

    /// A draft plan through the gateway link (fullscript-api.md §3.2): Fullscript matches the patient by id,
    /// `external_id` or email, and otherwise lets the practitioner match or create them by hand, which
    /// suits a patient without an email. Validates first, like the draft link.
    public func gatewayTreatmentPlanLink(accessToken: String, _ request: GatewayTreatmentPlanLinkRequest) async throws(FullscriptError) -> DynamicLink {
        let body = try request.validatedBody()
        var call = APIRequest(.post, "clinic", "dynamic_links", "gateway", "treatment_plans", endpoint: "create_gateway_treatment_plan_link",
                              accessToken: accessToken)
        call.body = body.json.bytes
        return try await link(call)
    }

    /// A generic new-plan link: the practitioner finds or creates the patient in Fullscript.
    public func newTreatmentPlanLink(accessToken: String, entrypoint: Entrypoint? = nil) async throws(FullscriptError) -> DynamicLink {
        let query = entrypoint.map { [("entrypoint", $0.rawValue)] } ?? []
        return try await link(APIRequest(.get, "clinic", "dynamic_links", "treatment_plans", endpoint: "new_treatment_plan_link", query: query, accessToken: accessToken))
    }

    /// The editor of an existing plan (fullscript-api.md §3.4): Fullscript answers only for a `draft` or
    /// `active` plan of the bearer's clinic (403/404 otherwise).
    public func editTreatmentPlanLink(accessToken: String, planID: String) async throws(FullscriptError) -> DynamicLink {
        try await link(APIRequest(.get, "clinic", "dynamic_links", "treatment_plans", planID, endpoint: "edit_treatment_plan_link",
                                  accessToken: accessToken))
    }

    /// A redirect URL opens Fullscript as the user who asked for it, so its answer is never logged, not even at debug;
    /// and one that is not a Fullscript page is no link at all.
    private func link(_ request: APIRequest) async throws(FullscriptError) -> DynamicLink {
        var request = request
        request.bodyIsSecret = true
        let answer = try await send(request)
        var link = try decode(answer) { body throws in try DynamicLink(answer: body) }
        link.requestID = answer.requestID
        guard isFullscriptPage(link) else {
            throw FullscriptError(.malformedResponse("redirect_url is not a Fullscript page"), requestID: answer.requestID)
        }
        return link
    }
}

extension FullscriptClient {
    /// Whether `link`'s redirect URL opens one of Fullscript's own pages: https on `fullscript.com` or
    /// `fullscript.io` (or a subdomain) or on the API's host, or plain http on loopback when the API is
    /// there too (the simulator). A link anywhere else is not followed: it would send the practitioner
    /// off to a page that is not Fullscript's.
    func isFullscriptPage(_ link: DynamicLink) -> Bool {
        guard let url = URL(string: link.redirectURL), let scheme = url.scheme?.lowercased(), var host = url.host?.lowercased(),
              url.user == nil, url.password == nil, let base else { return false }
        if host.hasSuffix(".") { host.removeLast() }
        switch scheme {
        case "https":
            return ["fullscript.com", "fullscript.io"].contains { host == $0 || host.hasSuffix("." + $0) } || host == apiHost
        case "http":
            return base.scheme == "http" && Self.isLoopback(host) && apiHost.map(Self.isLoopback) == true
        default:
            return false
        }
    }

    /// A host name or address of this machine: where plain http is allowed (a simulator).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
