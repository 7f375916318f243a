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
        try request.validate()
        var call = APIRequest(.post, "clinic", "dynamic_links", "gateway", "treatment_plans", endpoint: "create_gateway_treatment_plan_link",
                              accessToken: accessToken)
        call.body = request.body.json.bytes
        return try await link(call)
    }

    /// A generic new-plan link: the practitioner finds or creates the patient in Fullscript.
    public func newTreatmentPlanLink(accessToken: String, entrypoint: Entrypoint? = nil) async throws(FullscriptError) -> DynamicLink {
        let query = entrypoint.map { [("entrypoint", $0.rawValue)] } ?? []
        return try await link(APIRequest(.get, "clinic", "dynamic_links", "treatment_plans", endpoint: "new_treatment_plan_link", query: query, accessToken: accessToken))
    }

    private func link(_ request: APIRequest) async throws(FullscriptError) -> DynamicLink {
        let answer = try await send(request)
        var link = try decode(answer) { body throws in try JSONDecoder().decode(DynamicLink.self, from: Data(body)) }
        link.requestID = answer.requestID
        return link
    }
}
