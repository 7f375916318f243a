import Foundation
import Fullscript
import Store

/// Where orders and lab orders from webhooks, refreshes and reconciliation meet, as plans do in
/// `TreatmentPlanStore`: an order is stored once (orders do not change), a lab order only moves
/// forward by `updated_at`, so redelivered and out-of-order events leave the same rows.
struct OrderStore: Sendable {
    let database: any SQLDatabase

    /// Stores `order` unless we have it; returns the tenant's EHR patients whose charts it told
    /// (`ChartChanges`; none when it was known or the patient is not mapped yet). The plans it names get a
    /// new change number, so open charts receive them again with their new `ordered_count`.
    @discardableResult
    func merge(_ order: Order, in tenant: String, source: TreatmentPlanStore.Source, learnedAt: Date) async throws -> [String] {
        let lineItems = String(decoding: JSONBody.encode(order.lineItems), as: UTF8.self)
        let planIDs = Array(Set(order.treatmentPlanIDs)).sorted()
        return try await database.write { connection in
            let inserted = try connection.execute(
                """
                INSERT INTO orders (tenant_id, id, order_number, fullscript_patient_id, completed_at, treatment_plan_ids, practitioner_ids,
                                    line_items, is_lab, change_seq, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, \(ChangeSequence.next), ?)
                ON CONFLICT (tenant_id, id) DO NOTHING
                """,
                [.text(tenant), .text(order.id), DatabaseValue(order.orderNumber), DatabaseValue(order.patientID),
                 .text(Timestamp.iso8601(order.completedAt ?? learnedAt)),
                 .text(String(decoding: JSONBody.encode(planIDs), as: UTF8.self)),
                 .text(String(decoding: JSONBody.encode(order.practitionerIDs), as: UTF8.self)), .text(lineItems),
                 .integer(order.isLabPurchase ? 1 : 0), .text(source.rawValue)]
            )
            guard inserted == 1 else { return [] }
            for planID in planIDs {
                try connection.execute(
                    "INSERT INTO order_plans (tenant_id, order_id, treatment_plan_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [.text(tenant), .text(order.id), .text(planID)]
                )
                // One statement per plan: change numbers are unique.
                try connection.execute(
                    "UPDATE treatment_plans SET change_seq = \(ChangeSequence.next) WHERE tenant_id = ? AND id = ?",
                    [.text(tenant), .text(planID)]
                )
            }
            return try Self.tellCharts(of: order.patientID, in: tenant, connection)
        }
    }

    /// Stores `labOrder` unless what we have is as new or newer; returns the charts it told.
    @discardableResult
    func merge(_ labOrder: LabOrder, in tenant: String, source: TreatmentPlanStore.Source) async throws -> [String] {
        let tests = String(decoding: JSONBody.encode(labOrder.tests), as: UTF8.self)
        return try await database.write { connection in
            let changed = try connection.execute(
                """
                INSERT INTO lab_orders (tenant_id, id, fullscript_patient_id, order_id, state, tests, updated_at, change_seq, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, \(ChangeSequence.next), ?)
                ON CONFLICT (tenant_id, id) DO UPDATE SET
                    fullscript_patient_id = coalesce(excluded.fullscript_patient_id, lab_orders.fullscript_patient_id),
                    order_id = coalesce(excluded.order_id, lab_orders.order_id),
                    state = excluded.state, tests = excluded.tests, updated_at = excluded.updated_at,
                    change_seq = excluded.change_seq, source = excluded.source
                WHERE excluded.updated_at > lab_orders.updated_at
                """,
                [.text(tenant), .text(labOrder.id), DatabaseValue(labOrder.patientID), DatabaseValue(labOrder.orderID), .text(labOrder.state),
                 .text(tests), .text(Timestamp.iso8601(labOrder.updatedAt)), .text(source.rawValue)]
            )
            guard changed == 1 else { return [] }
            let patientID = try connection.queryFirst(
                "SELECT fullscript_patient_id FROM lab_orders WHERE tenant_id = ? AND id = ?", [.text(tenant), .text(labOrder.id)]
            )?.optionalString("fullscript_patient_id")
            return try Self.tellCharts(of: patientID, in: tenant, connection)
        }
    }

    /// The patient's orders, newest first; with `after`, only those stored since that change number.
    func orders(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> [StoredOrder] {
        try await database.read { try Self.orders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: $0) }
    }

    static func orders(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64,
                       using connection: any SQLConnection) throws -> [StoredOrder] {
        try connection.query(
            """
            SELECT o.* FROM orders o
            JOIN patient_mappings m ON m.tenant_id = o.tenant_id AND m.fullscript_patient_id = o.fullscript_patient_id
            WHERE m.tenant_id = ? AND m.ehr_patient_id = ? AND o.change_seq > ?
            ORDER BY o.completed_at DESC, o.id
            """,
            [.text(tenant), .text(ehrPatientID), .integer(after)]
        ) { row in
            StoredOrder(
                id: try row.string("id"), orderNumber: try row.optionalString("order_number"),
                fullscriptPatientID: try row.optionalString("fullscript_patient_id"), completedAt: try row.string("completed_at"),
                treatmentPlanIDs: Self.strings(try row.string("treatment_plan_ids")), practitionerIDs: Self.strings(try row.string("practitioner_ids")),
                lineItems: JSONValue(parsing: Array(try row.string("line_items").utf8)) ?? .array([]), isLab: try row.int("is_lab") == 1,
                changeSequence: try row.int64("change_seq")
            )
        }
    }

    /// The patient's lab orders, most recently updated first; with `after`, only those changed since.
    func labOrders(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> [StoredLabOrder] {
        try await database.read { try Self.labOrders(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: $0) }
    }

    static func labOrders(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64,
                          using connection: any SQLConnection) throws -> [StoredLabOrder] {
        try connection.query(
            """
            SELECT l.* FROM lab_orders l
            JOIN patient_mappings m ON m.tenant_id = l.tenant_id AND m.fullscript_patient_id = l.fullscript_patient_id
            WHERE m.tenant_id = ? AND m.ehr_patient_id = ? AND l.change_seq > ?
            ORDER BY l.updated_at DESC, l.id
            """,
            [.text(tenant), .text(ehrPatientID), .integer(after)]
        ) { row in
            StoredLabOrder(
                id: try row.string("id"), fullscriptPatientID: try row.optionalString("fullscript_patient_id"),
                orderID: try row.optionalString("order_id"), state: try row.string("state"),
                tests: JSONValue(parsing: Array(try row.string("tests").utf8)) ?? .array([]), updatedAt: try row.string("updated_at"),
                changeSequence: try row.int64("change_seq")
            )
        }
    }

    /// The charts of the patient, told of the change (`ChartChanges`) once it commits.
    private static func tellCharts(of fullscriptPatientID: String?, in tenant: String, _ connection: any SQLConnection) throws -> [String] {
        guard let fullscriptPatientID else { return [] }
        let charts = try connection.query(
            "SELECT ehr_patient_id FROM patient_mappings WHERE tenant_id = ? AND fullscript_patient_id = ?",
            [.text(tenant), .text(fullscriptPatientID)]
        ) { try $0.string("ehr_patient_id") }
        try ChartChanges.record(charts, in: tenant, on: connection)
        return charts
    }

    private static func strings(_ json: String) -> [String] {
        guard case .array(let items)? = JSONValue(parsing: Array(json.utf8)) else { return [] }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }
}
