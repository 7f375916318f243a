public import Foundation
import HTTPTypes

/// Fullscript's record of what happened in the bearer's clinic, kept 30 days: how an app catches up
/// on webhooks it missed (scope `patients:treatment_plan_history` for plan events).
extension FullscriptClient {
    /// One page of the `list`'s events created after `since`, oldest first; `type` narrows to one
    /// event type. `pageSize` is clamped to Fullscript's maximum of 100.
    public func events(accessToken: String, list: EventList = .treatmentPlans, since: Date?, type: String? = nil, page: Int = 1,
                       pageSize: Int = 100) async throws(FullscriptError) -> Page<FullscriptEvent> {
        var query: [(name: String, value: String)] = []
        // Fullscript's range syntax: `>date`, `<date` or `date..date`.
        if let since { query.append(("created_at", ">" + Timestamp.format(since))) }
        if let type { query.append(("event_type", type)) }
        query += [("sort_by", "created_at"), ("order_by", SortOrder.ascending.rawValue)] + PageMeta.query(page: page, size: pageSize)
        let listing = try await fetch(APIRequest(.get, "events", list.rawValue, endpoint: list.endpoint, query: query, accessToken: accessToken),
                                      member: "events", as: [FullscriptEvent].self)
        return Page(items: listing.value, meta: listing.meta)
    }

    public func event(accessToken: String, id: String) async throws(FullscriptError) -> FullscriptEvent {
        try await fetch(APIRequest(.get, "events", id, endpoint: "get_event", accessToken: accessToken), member: "event").value
    }
}
