/// One product variant of Fullscript's catalog (a size and form of a product of a brand), as
/// `GET /catalog/variants/{id}` describes it. The shape is not documented (fullscript-api.md §12 names
/// only the call); every field but the id is read leniently, so a variant Fullscript describes
/// differently still names what it can.
public struct CatalogVariant: Sendable, Equatable, Codable {
    public var id: String
    public var productName: String?
    public var brandName: String?
    /// The form of the product, e.g. "capsule", "powder".
    public var form: String?
    /// The unit size, e.g. "60 capsules".
    public var size: String?
    public var sku: String?

    public init(id: String, productName: String? = nil, brandName: String? = nil, form: String? = nil, size: String? = nil,
                sku: String? = nil) {
        self.id = id
        self.productName = productName
        self.brandName = brandName
        self.form = form
        self.size = size
        self.sku = sku
    }

    private enum CodingKeys: String, CodingKey {
        case id, product, form, size, sku
        case unitSize = "unit_size", productName = "product_name", brandName = "brand_name", brand
    }

    private enum ProductKeys: String, CodingKey { case name, brand }
    private enum BrandKeys: String, CodingKey { case name }

    /// `product: {name, brand: {name}}` nested, or flat `product_name`/`brand_name` [inferred: both seen in integrations].
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        let product = try? container.nestedContainer(keyedBy: ProductKeys.self, forKey: .product)
        let brand = (try? product?.nestedContainer(keyedBy: BrandKeys.self, forKey: .brand))
            ?? (try? container.nestedContainer(keyedBy: BrandKeys.self, forKey: .brand))
        productName = product?.decodeLenient(String.self, forKey: .name) ?? container.decodeLenient(String.self, forKey: .productName)
        brandName = brand?.decodeLenient(String.self, forKey: .name) ?? container.decodeLenient(String.self, forKey: .brandName)
        form = container.decodeLenient(String.self, forKey: .form)
        size = container.decodeLenient(String.self, forKey: .size) ?? container.decodeLenient(String.self, forKey: .unitSize)
        sku = container.decodeLenient(String.self, forKey: .sku)
    }

    /// Flat, as our store and API keep it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(productName, forKey: .productName)
        try container.encodeIfPresent(brandName, forKey: .brandName)
        try container.encodeIfPresent(form, forKey: .form)
        try container.encodeIfPresent(size, forKey: .size)
        try container.encodeIfPresent(sku, forKey: .sku)
    }
}
