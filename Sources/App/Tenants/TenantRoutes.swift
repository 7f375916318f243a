import Server

/// `GET /api/v1/tenants`: every tenant, for the vendor's own tooling, with an operator key only.
/// Another key learns nothing about other practices: 403.
struct TenantRoutes: Sendable {
    let tenants: TenantStore
    let serviceKeys: ServiceKeyStore

    private struct Listed: Encodable {
        let id: String
        let name: String
        let region: String
        let fullscriptClinicID: String?
        let fullscriptClinicName: String?
        let createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, name, region, fullscriptClinicID = "fullscript_clinic_id", fullscriptClinicName = "fullscript_clinic_name"
            case createdAt = "created_at"
        }
    }

    /// `services` is the `/api/v1` group.
    func register(on services: RouterGroup) {
        services.get("tenants") { request in
            try await serviceKeys.authorizedOperatorRequest(request, only: "lists tenants") { _ in
                let listed = try await tenants.list().map {
                    Listed(id: $0.id, name: $0.name, region: $0.region.rawValue, fullscriptClinicID: $0.fullscriptClinicID,
                           fullscriptClinicName: $0.fullscriptClinicName, createdAt: $0.createdAt)
                }
                return JSONBody.response(["tenants": listed])
            }
        }
    }
}
