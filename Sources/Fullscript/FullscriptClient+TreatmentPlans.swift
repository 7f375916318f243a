import HTTPTypes
/// Reading plans back without webhooks: a patient's list, then one plan's details.
extension FullscriptClient {
    /// Pages of this size are Fullscript's largest, so a patient's plans rarely take more than one call.
    static let planPageSize = 100
    /// A bound on pages followed, in case `next_page` never ends: 5,000 plans for one patient is far beyond real use.
    static let maxPlanPages = 50

    /// Every plan of the patient, following `meta.next_page` from page to page.
    public func treatmentPlans(accessToken: String, patientID: String, sortBy: TreatmentPlanSort = .createdAt,
                               order: SortOrder = .descending) async throws(FullscriptError) -> [TreatmentPlan] {
        var plans: [TreatmentPlan] = []
        var page = 1
        while true {
            let query = [("sort_by", sortBy.rawValue), ("order_by", order.rawValue),
                         ("page[number]", String(page)), ("page[size]", String(Self.planPageSize))]
            let listing = try await fetch(
                APIRequest(
                    .get, "clinic", "patients", patientID, "treatment_plans", endpoint: "list_patient_treatment_plans", query: query,
                    accessToken: accessToken
                ),
                member: "treatment_plans", as: [TreatmentPlan].self
            )
            plans += listing.value
            // A next page that does not move forward would loop forever; stop rather than trust it.
            guard let next = listing.meta?.nextPage, next > page, page < Self.maxPlanPages else { return plans }
            page = next
        }
    }

    public func treatmentPlan(accessToken: String, id: String) async throws(FullscriptError) -> TreatmentPlan {
        try await fetch(APIRequest(.get, "clinic", "treatment_plans", id, endpoint: "get_treatment_plan", accessToken: accessToken), member: "treatment_plan").value
    }

    /// Cancels an active plan (fullscript-api.md §5; 403/404/422 otherwise). The answer's body is not documented:
    /// a `treatment_plan` member like the plan's own endpoint is assumed [inferred].
    public func cancelTreatmentPlan(accessToken: String, id: String) async throws(FullscriptError) -> TreatmentPlan {
        try await fetch(APIRequest(.patch, "clinic", "treatment_plans", id, "cancel", endpoint: "cancel_treatment_plan", accessToken: accessToken),
                        member: "treatment_plan").value
    }
}
