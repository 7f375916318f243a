import Foundation
import HTTPTypes
import Server

/// `GET /api/v1/patients/:ehrPatientId/medication-statements`: the patient's plans as a FHIR R4 Bundle
/// of `MedicationStatement` (`MedicationStatementBundle`), from our store, with names from the catalog
/// cache (ids where Fullscript cannot name them). For services, with a key of the patient's tenant.
struct MedicationStatementRoutes: Sendable {
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let describer: PlanDescriber
    let serviceKeys: ServiceKeyStore
    let now: @Sendable () -> Date

    static let fhirJSON = "application/fhir+json"

    /// `services` is the `/api/v1` group.
    func register(on services: RouterGroup) {
        services.get(PatientRoutes.path + "/medication-statements") { request in
            try await serviceKeys.authorizedPatientRequest(request, statements)
        }
    }

    private func statements(_ request: Request, caller: ServiceCaller, id: String) async throws -> Response {
        switch try await EHRRoutes.existing(id, in: patients, tenant: caller.tenant, requestID: request.id) {
        case .refused(let response):
            return response
        case .found(let patient):
            // Only plans that make statements are named: naming may ask Fullscript's catalog.
            let stated = try await plans.plans(forEHRPatient: patient.ehrPatientID, in: caller.tenant)
                .filter { MedicationStatementBundle.status(ofPlanIn: $0.state) != nil }
            let described = await describer.describe(stated, in: caller.tenant)
            var response = JSONBody.response(MedicationStatementBundle.bundle(of: described, patient: patient.ehrPatientID, at: now()))
            // FHIR's own media type for a client that asks for it; plain JSON clients get what they accept.
            if Self.acceptsFHIR(request.head.headerFields[.accept]) { response.headerFields[.contentType] = Self.fhirJSON }
            response.headerFields[.vary] = "Accept"
            return response
        }
    }

    static func acceptsFHIR(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            // `q=0` says "not this one".
            let refused = parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "").range(of: #"^q=0(\.0*)?$"#, options: .regularExpression) != nil }
            return parts.first == fhirJSON && !refused
        }
    }
}
