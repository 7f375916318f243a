import Foundation
import Fullscript
import HTTPTypes
import Server

/// `PUT|GET|DELETE /api/v1/patients/:ehrPatientId` and `GET /api/v1/patients` (pages): how the EHR's internal services keep our copy of
/// its patients. Each call carries a service key and sees only that key's tenant; each write is
/// audited under that key's name.
struct PatientRoutes: Sendable {
    let patients: PatientStore
    let serviceKeys: ServiceKeyStore
    /// Told when a change to a linked patient is queued for Fullscript.
    let sync: PatientSync
    let now: @Sendable () -> Date

    /// Below the `/api/v1` group.
    static let path = "patients/:ehrPatientId"
    static let listPath = "patients"
    /// A patient is six short strings; anything near this is not one.
    static let maxBodySize = 16 * 1024

    /// `services` is the `/api/v1` group.
    func register(on services: RouterGroup) {
        services.put(Self.path, body: .bytes(Self.maxBodySize)) { request in try await serviceKeys.authorizedPatientRequest(request, put) }
        services.get(Self.path) { request in try await serviceKeys.authorizedPatientRequest(request, get) }
        services.delete(Self.path) { request in try await serviceKeys.authorizedPatientRequest(request, delete) }
        services.get(Self.listPath) { request in
            try await serviceKeys.authorizedRequest(request) { request, caller in
                try await PatientPage.response(request, in: patients, tenant: caller.tenant)
            }
        }
    }

    private func put(_ request: Request, caller: ServiceCaller, id: String) async throws -> Response {
        guard Self.isJSON(request.head.headerFields[.contentType]) else {
            return APIError.response(
                .unsupportedMediaType, code: "unsupported_media_type", message: "Send the patient as Content-Type: application/json.",
                requestID: request.id
            )
        }
        guard let json = JSONValue(parsing: request.body) else {
            return APIError.response(.badRequest, code: "invalid_json", message: "The body is not valid JSON.", requestID: request.id)
        }
        guard case .object(let body) = json else {
            return APIError.response(
                .unprocessableContent, code: "validation_failed", message: "The body must be a JSON object of patient fields.",
                requestID: request.id
            )
        }
        let date = now()
        let patient: PatientRecord
        do {
            patient = try PatientInput.record(from: body, id: id, at: date)
        } catch {
            let list = error.problems.map { "\($0.field) \($0.problem)" }.joined(separator: "; ")
            return APIError.response(
                .unprocessableContent, code: "validation_failed", message: "The patient was not saved: \(list).",
                requestID: request.id, details: error.problems
            )
        }
        let created = try await patients.upsert(patient, in: caller.tenant, audit: audit(caller, "patient.upsert", id, "saved", request),
                                                at: date)
        sync.signal()
        guard case .found(let saved) = try await patients.find(id, in: caller.tenant) else {
            // Only a DELETE landing between our write and this read gets here; it won, so say so.
            return APIError.response(
                .conflict, code: "deleted_concurrently",
                message: "The patient was deleted while being saved; send it again if it still exists.", requestID: request.id
            )
        }
        var response = Self.patientResponse(saved, status: created ? .created : .ok)
        if created { response.headerFields[.location] = "/api/v1/patients/" + id }
        return response
    }

    private func get(_ request: Request, caller: ServiceCaller, id: String) async throws -> Response {
        switch try await patients.find(id, in: caller.tenant) {
        case .found(let patient):
            Self.patientResponse(patient, status: .ok)
        case .deleted:
            APIError.response(.gone, code: "patient_deleted", message: "Patient \(id) was deleted.", requestID: request.id)
        case .unknown:
            Self.notFound(id, request)
        }
    }

    private func delete(_ request: Request, caller: ServiceCaller, id: String) async throws -> Response {
        guard try await patients.delete(id, in: caller.tenant, audit: audit(caller, "patient.delete", id, "deleted", request), at: now()) else {
            return Self.notFound(id, request)
        }
        return Response(status: .noContent)
    }

    /// Never patient details: the audit trail outlives the patient's deletion.
    private func audit(_ caller: ServiceCaller, _ action: String, _ id: String, _ outcome: String, _ request: Request) -> AuditEntry {
        AuditEntry(tenant: caller.tenant, actor: caller.auditActor, action: action, subject: id, outcome: outcome, requestID: request.id, detail: nil)
    }

    private static func notFound(_ id: String, _ request: Request) -> Response {
        APIError.response(.notFound, code: "patient_not_found", message: "There is no patient \(id).", requestID: request.id)
    }

    private static func patientResponse(_ patient: PatientRecord, status: HTTPResponse.Status) -> Response {
        var response = Response.json(JSONBody.encode(PatientBody(patient)), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// `application/json` with any parameters (a charset, say); JSON is UTF-8 whatever they claim.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
