/// What the chart's plan panel and the plans API show for one patient: the plans (each with how often
/// it was ordered), the orders and the lab orders, and where the list ends for a stream opened after it.
struct PlanList: Sendable, Encodable {
    var plans: [StoredPlan]
    var orders: [StoredOrder]
    var labOrders: [StoredLabOrder]
    /// Set by a Refresh whose orders call failed: the plans are Fullscript's latest, the orders are what
    /// we had. Says so in words the chart shows.
    var ordersNotRefreshed: String?

    /// For `?last_event_id=` on the stream opened after this list: nothing changed in between is missed.
    var lastEventID: Int64 {
        (plans.map(\.changeSequence) + orders.map(\.changeSequence) + labOrders.map(\.changeSequence)).max() ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case plans, orders, labOrders = "lab_orders", lastEventID = "last_event_id", ordersNotRefreshed = "orders_not_refreshed"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plans, forKey: .plans)
        try container.encode(orders, forKey: .orders)
        try container.encode(labOrders, forKey: .labOrders)
        try container.encode(lastEventID, forKey: .lastEventID)
        try container.encodeIfPresent(ordersNotRefreshed, forKey: .ordersNotRefreshed)
    }
}
