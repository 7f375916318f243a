import HTTPTypes
import Server

/// The catalog (fullscript-api.md §12, scope `catalog:read`, which every token has): the same for every
/// clinic. Faults injected under `/api/catalog` make it slow or failing on its own.
struct CatalogRoutes: Sendable {
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/catalog/variants/:id", gate.authenticated { request, _ in
            guard let variant = SandboxCatalog.variant(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(variant.json)
        })
    }
}
