/// `sort_by` of a patient's treatment plan list.
public enum TreatmentPlanSort: String, Sendable {
    case createdAt = "created_at"
    case updatedAt = "updated_at"
}

/// `order_by`; Fullscript's default is ascending, the client's is newest first.
public enum SortOrder: String, Sendable {
    case ascending = "ASC"
    case descending = "DESC"
}
