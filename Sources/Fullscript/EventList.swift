/// The events API's lists (fullscript-api.md §7.6), each one kind of event and the scope it needs.
public enum EventList: String, Sendable, CaseIterable {
    /// `treatment_plan.*`, scope `patients:treatment_plan_history`.
    case treatmentPlans = "treatment_plans"
    /// `order.placed`, scope `patients:order_history`.
    case orders
    /// `lab_order.updated`, scope `patients:order_history`.
    case labOrders = "lab_orders"

    /// The metric label for reading it.
    var endpoint: String { "list_\(rawValue.hasSuffix("s") ? String(rawValue.dropLast()) : rawValue)_events" }
}
