import Cryptography
import Foundation
import Fullscript

/// A patient's treatment plans as an EHR's medication list reads them: a FHIR R4 `Bundle` of type
/// `collection`, one `MedicationStatement` per recommendation of each active or cancelled plan.
///
/// `collection`, not `searchset`: this is not a FHIR server's search (there is no FHIR base to page or
/// repeat it against, no `total` or `search.mode` to honour), only a set of resources handed over.
///
/// The plan's state gives `status`: `active` -> `active`; `cancelled` -> `stopped` (kept, so an EHR
/// that imported the statement learns it ended); a `draft` was never sent to the patient and is left
/// out (it would be `intended`), as is a state Fullscript adds later.
///
/// FHIR's JSON has no empty strings or arrays: whatever would be empty is left out.
enum MedicationStatementBundle {
    /// Ours, under the reserved `.invalid` name: stable, and never mistaken for a resolvable address.
    static let base = "https://fullscript-redirect.invalid/fhir/"
    /// Codes are Fullscript's catalog variant ids (`recommendations[].variant_id`).
    static let variantSystem = base + "CodeSystem/fullscript-variant"
    /// `{plan id}/{variant id}`, and `/{n}` for the n-th time a plan names one variant (n > 1).
    static let recommendationSystem = base + "sid/fullscript-plan-recommendation"
    /// Fullscript practitioner ids.
    static let practitionerSystem = base + "sid/fullscript-practitioner"
    /// The EHR's patient ids, for one that is not a FHIR id (it has `_` or `:`) and so cannot be `Patient/{id}`.
    static let ehrPatientSystem = base + "sid/ehr-patient"
    static let ucum = "http://unitsofmeasure.org"

    static func bundle(of plans: [StoredPlan], patient ehrPatientID: String, at date: Date) -> JSONValue {
        let entries = plans.flatMap { statements(of: $0, patient: ehrPatientID) }.map { JSONValue.object(["resource": $0]) }
        var bundle: [String: JSONValue] = ["resourceType": .string("Bundle"), "type": .string("collection"),
                                           "timestamp": .string(Timestamp.iso8601(date))]
        if !entries.isEmpty { bundle["entry"] = .array(entries) }
        return .object(bundle)
    }

    /// The statements' `status` for a plan in `state`; nil for a plan that makes no statement.
    static func status(ofPlanIn state: String) -> String? {
        switch TreatmentPlan.State(rawValue: state) {
        case .active: "active"
        case .cancelled: "stopped"
        case .draft, .other: nil
        }
    }

    private static func statements(of plan: StoredPlan, patient ehrPatientID: String) -> [JSONValue] {
        guard let status = status(ofPlanIn: plan.state), case .array(let items) = plan.recommendations else { return [] }
        var occurrences: [String: Int] = [:]
        return items.compactMap { item in
            guard case .object(let fields) = item, case .string(let variantID)? = fields["variant_id"], isNonEmpty(variantID) else { return nil }
            let occurrence = occurrences[variantID, default: 0] + 1
            occurrences[variantID] = occurrence
            let key = "\(plan.id)/\(variantID)" + (occurrence == 1 ? "" : "/\(occurrence)")
            return statement(plan: plan, status: status, variantID: variantID, key: key, fields: fields, patient: ehrPatientID)
        }
    }

    private static func statement(plan: StoredPlan, status: String, variantID: String, key: String, fields: [String: JSONValue],
                                  patient ehrPatientID: String) -> JSONValue {
        let instructions = DosageInstructions(fields)
        var statement: [String: JSONValue] = [
            "resourceType": .string("MedicationStatement"),
            // A FHIR id is at most 64 of [A-Za-z0-9.-]; Fullscript's ids promise neither, so the key is hashed.
            "id": .string(SHA256.hexDigest(Array(key.utf8))),
            "identifier": .array([.object(["system": .string(recommendationSystem), "value": .string(key)])]),
            "status": .string(status),
            "medicationCodeableConcept": medication(variantID, product: fields["product"]),
            "subject": subject(ehrPatientID),
        ]
        if let period = effectivePeriod(plan, duration: instructions.duration) { statement["effectivePeriod"] = period }
        if let practitionerID = plan.practitionerID, isNonEmpty(practitionerID) {
            var source: [String: JSONValue] = [
                "type": .string("Practitioner"),
                "identifier": .object(["system": .string(practitionerSystem), "value": .string(practitionerID)]),
            ]
            if let name = plan.practitionerName.flatMap(fhirString) { source["display"] = .string(name) }
            statement["informationSource"] = .object(source)
        }
        if let dosage = instructions.fhir { statement["dosage"] = .array([dosage]) }
        return .object(statement)
    }

    /// "Magnesium Glycinate (Pure Encapsulations, capsule)" from the catalog; the variant id when it is not known.
    private static func medication(_ variantID: String, product: JSONValue?) -> JSONValue {
        var name: String?
        var details: [String] = []
        if case .object(let product)? = product {
            name = text(product["name"])
            details = [text(product["brand"]), text(product["form"])].compactMap { $0 }
        }
        var coding: [String: JSONValue] = ["system": .string(variantSystem), "code": .string(variantID)]
        if let name { coding["display"] = .string(name) }
        let label = name.map { details.isEmpty ? $0 : "\($0) (\(details.joined(separator: ", ")))" } ?? "Fullscript variant \(variantID)"
        var concept: [String: JSONValue] = ["text": .string(label)]
        // A FHIR code has no leading, trailing or doubled whitespace; an id that does is kept in the text only.
        if isCode(variantID) { concept["coding"] = .array([.object(coding)]) }
        return .object(concept)
    }

    private static func subject(_ ehrPatientID: String) -> JSONValue {
        let isFHIRID = ASCII.isPlainIdentifier(ehrPatientID, maxLength: 64, marks: ".-")
        return .object(isFHIRID
            ? ["reference": .string("Patient/" + ehrPatientID)]
            : ["type": .string("Patient"), "identifier": .object(["system": .string(ehrPatientSystem), "value": .string(ehrPatientID)])])
    }

    /// From the plan's creation (we keep no separate activation time) to the end of the dosage's duration,
    /// or to the plan's last change for a cancelled plan, whichever comes first.
    private static func effectivePeriod(_ plan: StoredPlan, duration: DosageParser.Duration?) -> JSONValue? {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let start = try? style.parse(plan.createdAt) else { return nil }
        var ends = [duration?.end(from: start)].compactMap { $0 }
        if TreatmentPlan.State(rawValue: plan.state) == .cancelled, let cancelled = try? style.parse(plan.updatedAt) { ends.append(cancelled) }
        var period: [String: JSONValue] = ["start": .string(Timestamp.iso8601(start))]
        if let end = ends.min(), end >= start { period["end"] = .string(Timestamp.iso8601(end)) }
        return .object(period)
    }

    static func text(_ value: JSONValue?) -> String? {
        guard case .string(let text)? = value else { return nil }
        return fhirString(text)
    }

    /// `text` as a FHIR string may hold it: no character below U+0020 but tab, CR and LF (each other one,
    /// typed or pasted in Fullscript, becomes a space), trimmed; nil when nothing is left.
    static func fhirString(_ text: String) -> String? {
        let allowed = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value >= 0x20 || ["\t", "\n", "\r"].contains(scalar) ? scalar : " "
        }))
        let trimmed = allowed.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func isNonEmpty(_ text: String) -> Bool {
        !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    private static func isCode(_ text: String) -> Bool {
        isNonEmpty(text) && text.trimmingCharacters(in: .whitespaces) == text && !text.contains("  ")
            && !text.contains(where: { $0.isNewline || $0 == "\t" })
    }
}
