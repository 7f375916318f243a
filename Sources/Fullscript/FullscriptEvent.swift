import Foundation

/// One Fullscript event, as a webhook delivers it and the events API lists it:
/// `{"id", "type", "created_at", "clinic_id", "data": {"treatment_plan": {…}}}`. `clinic_id` says which
/// clinic it happened in, the one key an app serving several clinics routes it by (fullscript-api.md §7.5).
/// `data` stays JSON because its shape depends on `type`, and a type we do not handle must still be
/// recorded as it came.
public struct FullscriptEvent: Sendable, Equatable, Codable {
    public var id: String
    public var type: String
    /// As Fullscript sent it; kept as text so what we store is what they said.
    public var createdAt: String?
    public var clinicID: String?
    public var data: JSONValue

    public init(id: String, type: String, createdAt: String? = nil, clinicID: String? = nil, data: JSONValue = .object([:])) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.clinicID = clinicID
        self.data = data
    }

    private enum CodingKeys: String, CodingKey {
        case id, type, createdAt = "created_at", clinicID = "clinic_id", data
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        type = try container.decode(String.self, forKey: .type)
        // An event we cannot tell apart from others (no id) or route (no type) is not an event.
        guard !id.isEmpty, !type.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: id.isEmpty ? .id : .type, in: container, debugDescription: "empty")
        }
        createdAt = container.decodeLenient(String.self, forKey: .createdAt)
        clinicID = container.decodeIDIfPresent(forKey: .clinicID)
        data = container.decodeLenient(JSONValue.self, forKey: .data) ?? .object([:])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(clinicID, forKey: .clinicID)
        try container.encode(data, forKey: .data)
    }

    /// The event in a webhook body. Fullscript's pages show both `{"event_payload": {"event": …}}`
    /// and `{"event": …}`, so both are read. The error names what is wrong, never the values.
    public init(webhookBody body: [UInt8]) throws(FullscriptEventError) {
        do {
            self = try JSONDecoder().decode(Delivery.self, from: Data(body)).event
        } catch {
            throw FullscriptEventError(reason: FullscriptClient.describe(error))
        }
    }

    /// `data.treatment_plan`, decoded as the REST API's plan is, for the `treatment_plan.*` types.
    public func treatmentPlan() throws(FullscriptEventError) -> TreatmentPlan {
        try member("treatment_plan")
    }

    /// `data.patient`, decoded as the REST API's patient is, for the `patient.*` types (fullscript-api.md §7.5).
    public func patient() throws(FullscriptEventError) -> Patient {
        try member("patient")
    }

    /// `data.order` for `order.placed`; the webhook page lists the order's fields directly under `data`,
    /// so a `data` with an `id` and no `order` is read as the order itself (§7.5).
    public func order() throws(FullscriptEventError) -> Order {
        data["order"] == nil && data["id"] != nil ? try decoded(data, at: "data") : try member("order")
    }

    /// `data.lab_order` for `lab_order.updated` (§12) [inferred member name].
    public func labOrder() throws(FullscriptEventError) -> LabOrder {
        try member("lab_order")
    }

    private func member<Value: Decodable>(_ name: String) throws(FullscriptEventError) -> Value {
        guard let value = data[name] else { throw FullscriptEventError(reason: "data: missing " + name) }
        return try decoded(value, at: "data." + name)
    }

    private func decoded<Value: Decodable>(_ value: JSONValue, at path: String) throws(FullscriptEventError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
        } catch {
            throw FullscriptEventError(reason: path + "." + FullscriptClient.describe(error))
        }
    }

    private struct Delivery: Decodable {
        var event: FullscriptEvent

        private enum Keys: String, CodingKey { case eventPayload = "event_payload", event }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let holder = container.contains(.eventPayload)
                ? try container.nestedContainer(keyedBy: Keys.self, forKey: .eventPayload) : container
            event = try holder.decode(FullscriptEvent.self, forKey: .event)
        }
    }
}

/// An event body we cannot read; `reason` says where, without the body's values.
public struct FullscriptEventError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public var description: String { "unreadable event: " + reason }
}
