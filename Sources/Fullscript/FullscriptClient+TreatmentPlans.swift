import HTTPTypes
/// Reading plans back without webhooks: a patient's list, then one plan's details.
extension FullscriptClient {
    /// Every plan of the patient, following `meta.next_page` from page to page.
    public func treatmentPlans(accessToken: String, patientID: String, sortBy: TreatmentPlanSort = .createdAt,
                               order: SortOrder = .descending) async throws(FullscriptError) -> [TreatmentPlan] {
        try await allPages(member: "treatment_plans") { page in
            APIRequest(.get, "clinic", "patients", patientID, "treatment_plans", endpoint: "list_patient_treatment_plans",
                       query: [("sort_by", sortBy.rawValue), ("order_by", order.rawValue)] + page, accessToken: accessToken)
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
