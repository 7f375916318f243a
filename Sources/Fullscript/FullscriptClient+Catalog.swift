import HTTPTypes
/// The catalog (scope `catalog:read`, which every app has): what a plan's variant ids name.
extension FullscriptClient {
    public func variant(accessToken: String, id: String) async throws(FullscriptError) -> CatalogVariant {
        try await fetch(APIRequest(.get, "catalog", "variants", id, endpoint: "get_catalog_variant", accessToken: accessToken),
                        member: "variant").value
    }
}
