/// Reading plans back without webhooks: a patient's list, then one plan's details.
extension FullscriptClient {
    public func treatmentPlans(accessToken: String, patientID: String, sortBy: TreatmentPlanSort = .createdAt,
                               order: SortOrder = .descending) async throws(FullscriptError) -> [TreatmentPlan] {
        let query = [("sort_by", sortBy.rawValue), ("order_by", order.rawValue)]
        return try await fetch(APIRequest(.get, "clinic", "patients", patientID, "treatment_plans", query: query, accessToken: accessToken),
                               member: "treatment_plans").value
    }

    public func treatmentPlan(accessToken: String, id: String) async throws(FullscriptError) -> TreatmentPlan {
        try await fetch(APIRequest(.get, "clinic", "treatment_plans", id, accessToken: accessToken), member: "treatment_plan").value
    }
}
