/// A variant of the sandbox catalog: one size and form of a product of a brand.
struct CatalogVariant: Sendable, Equatable {
    var id: String
    var sku: String
    var productID: String
    var productName: String
    var brandID: String
    var brandName: String
    var form: String
    var size: String

    /// `{"variant": …}` with the product and its brand nested. Fullscript documents no shape for
    /// `GET /catalog/variants/{id}` (fullscript-api.md §12); this is our guess [inferred].
    var json: JSON {
        .object([("variant", .object([
            ("id", .string(id)), ("sku", .string(sku)), ("form", .string(form)), ("size", .string(size)),
            ("product", .object([
                ("id", .string(productID)), ("name", .string(productName)),
                ("brand", .object([("id", .string(brandID)), ("name", .string(brandName))])),
            ])),
        ]))])
    }
}
