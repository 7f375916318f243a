import Foundation
import HTTPTypes
import Server

/// One open chart's server-sent-events stream of its patient's treatment plans, orders and lab orders
/// (`plan`, `order` and `lab_order` events; an order also resends the plans it names, with their new
/// `ordered_count`).
///
/// - Event ids are our `change_seq`, one numbering across the three (`ChangeSequence`), which only
///   grows, so `Last-Event-ID` says exactly what the chart has seen. With one, everything changed after it is sent first (an id beyond anything we
///   have means the database was restored: everything is sent again, which the chart takes as
///   replacements). Without one, a `ready` event carries the current id and the stream starts
///   from now: the chart reads the list itself.
/// - A signal from `PlanUpdates` makes the stream read what changed after its last id; each
///   heartbeat reads too, so a lost signal costs at most one heartbeat.
/// - The same reads notice the patient being linked to a Fullscript patient (a click, a refresh or a
///   webhook learned it): a `patient` event, the patient as `GET /ehr/api/patients/:id` answers it,
///   without an id (it is not a plan change), lets the chart say so without a reload.
/// - Each heartbeat, and each change before it is sent, checks the session without extending it;
///   once it has ended, an `end` event tells the chart to stop reconnecting, and the stream closes.
/// - The subscription is cancelled whichever way the stream ends (client gone, session over,
///   shutdown), and dropped with the response if the stream never starts.
struct PlanStream: Sendable {
    let request: Request
    let user: EHRUser
    let patientID: String
    let subscription: PlanUpdates.Subscription
    let resumeAfter: Int64?
    let identity: any EHRIdentityProvider
    let reader: PlanReader
    let patients: PatientStore
    let updates: PlanUpdates
    let heartbeat: Duration

    /// What EventSource waits before reconnecting after the stream drops.
    static let retryMilliseconds = 2000

    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!

    /// `Last-Event-ID` as EventSource sends it on reconnection, else `?last_event_id=` from a first
    /// connection that knows where the list it loaded ends; anything but a change number is ignored.
    static func resumePoint(of request: Request) -> Int64? {
        let text = request.head.headerFields[lastEventID] ?? request.queryParameters["last_event_id"]
        return text.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
    }

    var response: Response {
        Response(status: .ok, headerFields: [
            .contentType: "text/event-stream",
            .cacheControl: "no-store",
            // nginx and its kin hold a proxied response until it ends unless told not to.
            Self.accelBuffering: "no",
        ], body: .stream { writer in try await run(writer) })
    }

    private enum Tick: Sendable {
        case changed
        case heartbeat
    }

    func run(_ writer: ResponseBodyWriter) async throws {
        defer { updates.cancel(subscription) }
        let current = try await reader.stored(for: patientID, in: user.tenant)
        var linked = try await fullscriptPatientID()
        let newest = current.lastEventID
        var cursor: Int64
        var opening = "retry: \(Self.retryMilliseconds)\n\n"
        if let resumeAfter {
            cursor = resumeAfter > newest ? 0 : resumeAfter
            opening += await events(current, after: &cursor)
        } else {
            cursor = newest
            opening += Self.event(id: newest, name: "ready", data: JSONBody.encode(["last_event_id": newest]))
        }
        try await writer.write(opening)

        let (ticks, continuation) = AsyncStream<Tick>.makeStream(bufferingPolicy: .bufferingNewest(8))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in subscription.signals { continuation.yield(.changed) }
                continuation.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    continuation.yield(.heartbeat)
                }
            }
            // Children left running when the stream ends are cancelled; their errors are ignored.
            defer { group.cancelAll() }
            for await tick in ticks {
                // Before anything is sent, not only at heartbeats: a browser signed out (or whose session
                // ran out) hears nothing more about the patient.
                if try await identity.userWithoutActivity(for: request).map({ [$0.id, $0.tenant] }) != [user.id, user.tenant] {
                    try await writer.write(Self.event(id: cursor, name: "end", data: JSONBody.encode(["reason": "signed_out"])))
                    return
                }
                var text = await events(try await reader.stored(for: patientID, in: user.tenant, changedAfter: cursor), after: &cursor)
                if case .found(let patient) = try await patients.find(patientID, in: user.tenant), patient.fullscriptPatientID != linked {
                    linked = patient.fullscriptPatientID
                    text += Self.event(name: "patient", data: JSONBody.encode(PatientBody(patient)))
                }
                if tick == .heartbeat { text += ": heartbeat\n\n" }
                try await writer.write(text)
            }
        }
    }

    /// What in `list` changed after `cursor`, as `plan`, `order` and `lab_order` events, oldest change
    /// first so the last id the client sees is the newest; moves `cursor` to it.
    private func events(_ list: PlanList, after cursor: inout Int64) async -> String {
        let start = cursor
        var changed = list
        changed.plans = list.plans.filter { $0.changeSequence > start }
        changed.orders = list.orders.filter { $0.changeSequence > start }
        changed.labOrders = list.labOrders.filter { $0.changeSequence > start }
        let described = await reader.describer.describe(changed, in: user.tenant)
        let events = described.plans.map { ($0.changeSequence, "plan", JSONBody.encode($0)) }
            + described.orders.map { ($0.changeSequence, "order", JSONBody.encode($0)) }
            + described.labOrders.map { ($0.changeSequence, "lab_order", JSONBody.encode($0)) }
        return events.sorted { $0.0 < $1.0 }.map { id, name, data in
            cursor = max(cursor, id)
            return Self.event(id: id, name: name, data: data)
        }.joined()
    }

    private func fullscriptPatientID() async throws -> String? {
        guard case .found(let patient) = try await patients.find(patientID, in: user.tenant) else { return nil }
        return patient.fullscriptPatientID
    }

    /// One event; every line of `data` gets its own `data:` field, as the format requires. Without
    /// an id, the client's last event id stays what it was.
    static func event(id: Int64? = nil, name: String, data: [UInt8]) -> String {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (id.map { "id: \($0)\n" } ?? "") + "event: \(name)\n" + lines.map { "data: \($0)\n" }.joined() + "\n"
    }
}
