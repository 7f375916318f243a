import Foundation
import HTTPTypes
import Server

/// Fullscript's events API, the pull side of webhooks: what happened in the bearer's clinic over
/// the last 30 days, for an app catching up on deliveries it missed (plan, patient, order and lab-order events).
struct EventRoutes: Sendable {
    /// Fullscript keeps events this long.
    static let retention: TimeInterval = 30 * 24 * 3600

    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        // Registered before `/api/events/:id`, which would otherwise take "treatment_plans" for an id.
        router.get("/api/events/treatment_plans", gate.authenticated { request, user in await list(request, user, types: "treatment_plan.") })
        router.get("/api/events/patients", gate.authenticated { request, user in await list(request, user, types: "patient.") })
        router.get("/api/events/orders", gate.authenticated { request, user in await list(request, user, types: "order.") })
        router.get("/api/events/lab_orders", gate.authenticated { request, user in await list(request, user, types: "lab_order.") })
        router.get("/api/events/:id", gate.authenticated { request, user in
            guard let event = await state.records(of: user.clinicID).event(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("event", event.json)]))
        })
    }

    /// `created_at` as `>date`, `<date` or `date..date`; `event_type`; `order_by` ASC (default) or
    /// DESC on `created_at`; paginated like every list.
    /// Events are the bearer's clinic's only (fullscript-api.md §7.6); `types` is the list's type prefix.
    private func list(_ request: Request, _ user: SandboxUser, types: String) async -> Response {
        let query = request.queryParameters
        let now = await state.now
        var events = await state.records(of: user.clinicID).events.filter {
            $0.type.hasPrefix(types) && now.timeIntervalSince($0.createdAt) <= Self.retention
        }
        if let filter = query["created_at"] {
            guard let range = DateFilter(filter) else {
                return .jsonError("created_at must be >date, <date or date..date", status: .badRequest)
            }
            events = events.filter { range.contains($0.createdAt) }
        }
        if let type = query["event_type"], !type.isEmpty {
            events = events.filter { $0.type == type }
        }
        if query["order_by"]?.uppercased() == "DESC" { events.reverse() }
        return .json(Pagination(query).body("events", events.map(\.json)))
    }
}

/// Fullscript's date filter syntax: `>date` (after), `<date` (before) or `date..date` (between,
/// inclusive). Dates are ISO-8601 times, with or without fractional seconds, or plain days.
struct DateFilter: Equatable {
    var after: Date?
    var before: Date?

    init?(_ text: String) {
        if text.hasPrefix(">") {
            guard let date = Self.parse(text.dropFirst()) else { return nil }
            after = date
        } else if text.hasPrefix("<") {
            guard let date = Self.parse(text.dropFirst()) else { return nil }
            before = date
        } else if let separator = text.range(of: "..") {
            guard let from = Self.parse(text[..<separator.lowerBound]), let to = Self.parse(text[separator.upperBound...]) else { return nil }
            after = from
            before = to
        } else {
            return nil
        }
    }

    /// `>` and `<` are strict; a `..` range includes its ends.
    func contains(_ date: Date) -> Bool {
        switch (after, before) {
        case (let after?, let before?): after <= date && date <= before
        case (let after?, nil): date > after
        case (nil, let before?): date < before
        case (nil, nil): true
        }
    }

    private static func parse(_ text: Substring) -> Date? {
        let text = String(text).trimmingCharacters(in: .whitespaces)
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
            ?? (try? Date.ISO8601FormatStyle().year().month().day().parse(text))
    }
}
