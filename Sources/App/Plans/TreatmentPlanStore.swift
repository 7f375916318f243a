import Foundation
import Fullscript
import Store

/// Where treatment plans from webhooks, refreshes and reconciliation meet. Merging is one statement
/// per plan that only ever moves a plan forward (a newer `updated_at`), so deliveries racing each
/// other or arriving out of order leave the newest state and no duplicates.
struct TreatmentPlanStore: Sendable {
    let database: any SQLDatabase

    enum Source: String, Sendable {
        case webhook, refresh, reconcile
    }

    /// Stores `plan` for `tenant` unless what we have is as new or newer; returns the tenant's EHR
    /// patients whose charts it told (`ChartChanges`; none when nothing changed or the patient is not
    /// mapped yet).
    @discardableResult
    func merge(_ plan: TreatmentPlan, in tenant: String, source: Source) async throws -> [String] {
        let recommendations = String(decoding: JSONBody.encode(plan.recommendations), as: UTF8.self)
        let resources = String(decoding: JSONBody.encode(plan.resources), as: UTF8.self)
        let labRecommendations = String(decoding: JSONBody.encode(plan.labRecommendations), as: UTF8.self)
        return try await database.write { connection in
            let changed = try connection.execute(
                """
                INSERT INTO treatment_plans (tenant_id, id, fullscript_patient_id, practitioner_id, state, personal_message,
                                             invitation_url, recommendations, resources, lab_recommendations, created_at, updated_at,
                                             change_seq, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(ChangeSequence.next), ?)
                ON CONFLICT (tenant_id, id) DO UPDATE SET
                    fullscript_patient_id = coalesce(excluded.fullscript_patient_id, treatment_plans.fullscript_patient_id),
                    practitioner_id = coalesce(excluded.practitioner_id, treatment_plans.practitioner_id),
                    state = excluded.state, personal_message = excluded.personal_message,
                    invitation_url = coalesce(excluded.invitation_url, treatment_plans.invitation_url),
                    recommendations = excluded.recommendations, resources = excluded.resources,
                    lab_recommendations = excluded.lab_recommendations, updated_at = excluded.updated_at,
                    change_seq = excluded.change_seq, source = excluded.source
                WHERE excluded.updated_at > treatment_plans.updated_at
                """,
                [.text(tenant), .text(plan.id), DatabaseValue(plan.patientID), DatabaseValue(plan.practitionerID), .text(plan.state.rawValue),
                 DatabaseValue(plan.personalMessage), DatabaseValue(plan.invitationURL), .text(recommendations),
                 .text(resources), .text(labRecommendations),
                 .text(Timestamp.iso8601(plan.createdAt)), .text(Timestamp.iso8601(plan.updatedAt)), .text(source.rawValue)]
            )
            guard changed == 1 else { return [] }
            let charts = try connection.query(
                """
                SELECT m.ehr_patient_id FROM treatment_plans t
                JOIN patient_mappings m ON m.tenant_id = t.tenant_id AND m.fullscript_patient_id = t.fullscript_patient_id
                WHERE t.tenant_id = ? AND t.id = ?
                """,
                [.text(tenant), .text(plan.id)]
            ) { try $0.string("ehr_patient_id") }
            try ChartChanges.record(charts, in: tenant, on: connection)
            return charts
        }
    }

    /// The tenant's EHR patient's plans, newest first; with `after`, only those changed since that change number.
    func plans(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64 = 0) async throws -> [StoredPlan] {
        try await database.read { try Self.plans(forEHRPatient: ehrPatientID, in: tenant, changedAfter: after, using: $0) }
    }

    static func plans(forEHRPatient ehrPatientID: String, in tenant: String, changedAfter after: Int64,
                      using connection: any SQLConnection) throws -> [StoredPlan] {
        try connection.query(patientsPlans(where: "t.change_seq > ?"), [.text(tenant), .text(ehrPatientID), .integer(after)], plan)
    }

    /// One plan of the tenant's EHR patient; nil when that patient has no such plan.
    func plan(_ id: String, ofEHRPatient ehrPatientID: String, in tenant: String) async throws -> StoredPlan? {
        try await database.read { connection in
            try connection.query(Self.patientsPlans(where: "t.id = ?"), [.text(tenant), .text(ehrPatientID), .text(id)], Self.plan).first
        }
    }

    /// A patient's plans (bound: tenant, EHR patient id, then `condition`'s), each with its orders counted. An
    /// order counts on a plan only when it is the plan's own patient's: one naming another patient's plan is not.
    private static func patientsPlans(where condition: String) -> String {
        """
        SELECT t.*, count(o.id) AS ordered_count, max(o.completed_at) AS last_ordered_at FROM treatment_plans t
        JOIN patient_mappings m ON m.tenant_id = t.tenant_id AND m.fullscript_patient_id = t.fullscript_patient_id
        LEFT JOIN order_plans p ON p.tenant_id = t.tenant_id AND p.treatment_plan_id = t.id
        LEFT JOIN orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id AND o.fullscript_patient_id = t.fullscript_patient_id
        WHERE m.tenant_id = ? AND m.ehr_patient_id = ? AND \(condition)
        GROUP BY t.tenant_id, t.id
        ORDER BY t.created_at DESC, t.id
        """
    }

    private static func plan(_ row: Row) throws -> StoredPlan {
        StoredPlan(
            id: try row.string("id"), fullscriptPatientID: try row.optionalString("fullscript_patient_id"),
            practitionerID: try row.optionalString("practitioner_id"), practitionerName: nil, state: try row.string("state"),
            personalMessage: try row.optionalString("personal_message"), invitationURL: try row.optionalString("invitation_url"),
            recommendations: JSONValue(parsing: Array(try row.string("recommendations").utf8)) ?? .array([]),
            resources: JSONValue(parsing: Array(try row.string("resources").utf8)) ?? .array([]),
            labRecommendations: JSONValue(parsing: Array(try row.string("lab_recommendations").utf8)) ?? .array([]),
            createdAt: try row.string("created_at"), updatedAt: try row.string("updated_at"),
            orderedCount: try row.int("ordered_count"), lastOrderedAt: try row.optionalString("last_ordered_at"),
            changeSequence: try row.int64("change_seq")
        )
    }
}
