import HTTPTypes
/// What a patient bought and how their labs stand (scope `patients:order_history`, fullscript-api.md §4, §12).
extension FullscriptClient {
    /// Every order of the patient, following `meta.next_page` as plans do.
    public func orders(accessToken: String, patientID: String) async throws(FullscriptError) -> [Order] {
        try await allPages(member: "orders") { query in
            APIRequest(.get, "clinic", "patients", patientID, "orders", endpoint: "list_patient_orders", query: query, accessToken: accessToken)
        }
    }

    /// The patient's lab orders (`GET /clinic/labs/orders?patient_id=`; US only).
    public func labOrders(accessToken: String, patientID: String) async throws(FullscriptError) -> [LabOrder] {
        try await allPages(member: "lab_orders") { query in
            APIRequest(.get, "clinic", "labs", "orders", endpoint: "list_lab_orders", query: [("patient_id", patientID)] + query,
                       accessToken: accessToken)
        }
    }
}
