import Foundation
import Store

/// The one way a write tells open charts that what they show changed (a plan, an order, a lab order,
/// the patient's link to Fullscript). The store that makes the change calls `record` inside its write
/// transaction, so the signal leaves when, and only if, the change is committed, and reaches every
/// replica on the database (`SQLConnection.notify`: PostgreSQL's `NOTIFY`; SQLite's stay in the
/// process). `deliver` hands what this process hears to the charts it streams (`PlanUpdates`).
///
/// A signal names whose charts, never what changed: each chart's stream reads that from the database.
enum ChartChanges {
    static let channel = "fsr_chart_changes"
    /// PostgreSQL refuses a payload of 8000 bytes or more.
    static let payloadLimit = 7999

    /// Without `patients`, every chart of the tenant; without `tenant` too, every chart.
    struct Signal: Codable, Equatable {
        var tenant: String?
        var patients: [String]?
    }

    /// Inside the write transaction of the change: the tenant's charts of these EHR patients hear of it.
    static func record(_ ehrPatientIDs: [String], in tenant: String, on connection: any SQLConnection) throws {
        guard !ehrPatientIDs.isEmpty else { return }
        try connection.notify(channel, payload: payload(Signal(tenant: tenant, patients: Array(Set(ehrPatientIDs)).sorted())))
    }

    /// The signal as JSON, widened to the whole tenant (then to every chart) rather than cut: a chart
    /// woken for nothing reads nothing new, a chart not woken misses the change until its heartbeat.
    static func payload(_ signal: Signal) -> String {
        let widenings = [signal, Signal(tenant: signal.tenant, patients: nil), Signal(tenant: nil, patients: nil)]
        let payloads = widenings.lazy.map { String(decoding: JSONBody.encode($0), as: UTF8.self) }
        return payloads.first { $0.utf8.count <= payloadLimit } ?? "{}"
    }

    /// Wakes this process's charts for every change any process records, and all of them when
    /// signals may have been missed (the listening connection broke) or one cannot be read.
    static func deliver(from database: any SQLDatabase, to updates: PlanUpdates) throws {
        try database.listen(to: channel) { notification in
            guard case .payload(let text) = notification,
                  let signal = try? JSONDecoder().decode(Signal.self, from: Data(text.utf8)) else {
                updates.publishToEveryChart()
                return
            }
            switch (signal.tenant, signal.patients) {
            case let (tenant?, patients?): updates.publish(ehrPatientIDs: patients, in: tenant)
            case let (tenant?, nil): updates.publishToEveryChart(in: tenant)
            case (nil, _): updates.publishToEveryChart()
            }
        }
    }
}
