import Fullscript

/// Puts names on stored plans and orders for whoever reads them (the chart's list and stream, the service
/// API): each recommendation's and line item's product from the catalog, the practitioner from the clinic.
/// Both come from `CatalogCache`; what it cannot name stays an id, so a failing Fullscript never fails a read.
struct PlanDescriber: Sendable {
    let catalog: CatalogCache

    func describe(_ plans: [StoredPlan], in tenant: String) async -> [StoredPlan] {
        await describe(PlanList(plans: plans, orders: [], labOrders: []), in: tenant).plans
    }

    func describe(_ list: PlanList, in tenant: String) async -> PlanList {
        guard !list.plans.isEmpty || !list.orders.isEmpty else { return list }
        let variantIDs = Set(list.plans.flatMap { Self.variantIDs(in: $0.recommendations) } + list.orders.flatMap { Self.variantIDs(in: $0.lineItems) })
        async let variants = catalog.variants(variantIDs, for: tenant)
        async let practitioners = list.plans.contains { $0.practitionerID != nil } ? catalog.practitionerNames(in: tenant) : [:]
        let (products, names) = await (variants, practitioners)
        var described = list
        described.plans = list.plans.map { plan in
            var described = plan
            described.practitionerName = plan.practitionerID.flatMap { names[$0] }
            described.recommendations = Self.named(plan.recommendations, by: products)
            return described
        }
        described.orders = list.orders.map { order in
            var described = order
            described.lineItems = Self.named(order.lineItems, by: products)
            return described
        }
        return described
    }

    private static func variantIDs(in recommendations: JSONValue) -> [String] {
        guard case .array(let items) = recommendations else { return [] }
        return items.compactMap(variantID)
    }

    private static func variantID(of item: JSONValue) -> String? {
        guard case .object(let fields) = item, case .string(let id)? = fields["variant_id"] else { return nil }
        return id
    }

    private static func named(_ recommendations: JSONValue, by products: [String: CatalogVariant]) -> JSONValue {
        guard case .array(let items) = recommendations else { return recommendations }
        return .array(items.map { item in
            guard case .object(var fields) = item, let id = variantID(of: item), let variant = products[id] else { return item }
            fields["product"] = .object([
                "name": variant.productName.map(JSONValue.string) ?? .null,
                "brand": variant.brandName.map(JSONValue.string) ?? .null,
                "form": variant.form.map(JSONValue.string) ?? .null,
                "size": variant.size.map(JSONValue.string) ?? .null,
                "sku": variant.sku.map(JSONValue.string) ?? .null,
            ])
            return .object(fields)
        })
    }
}
