/// The catalog every sandbox starts with, shared by all clinics as Fullscript's is within a region.
/// Activated plans recommend the first few; the benchmark's plans use the first ten.
enum SandboxCatalog {
    static let variants: [CatalogVariant] = [
        variant(1001, "Magnesium Glycinate", brand: "Pure Encapsulations", form: "capsule", size: "90 capsules"),
        variant(1002, "Vitamin D3 5,000 IU", brand: "Thorne", form: "softgel", size: "60 softgels"),
        variant(1003, "Omega-3 Fish Oil", brand: "Nordic Naturals", form: "softgel", size: "120 softgels"),
        variant(1004, "Probiotic 50B", brand: "Klaire Labs", form: "capsule", size: "30 capsules"),
        variant(1005, "B-Complex #12", brand: "Thorne", form: "capsule", size: "60 capsules"),
        variant(1006, "Zinc Picolinate", brand: "Pure Encapsulations", form: "capsule", size: "60 capsules"),
        variant(1007, "Ashwagandha", brand: "Gaia Herbs", form: "liquid phyto-cap", size: "60 capsules"),
        variant(1008, "L-Glutamine Powder", brand: "Designs for Health", form: "powder", size: "450 g"),
        variant(1009, "Iron Bisglycinate", brand: "Thorne", form: "capsule", size: "60 capsules"),
        variant(1010, "Berberine", brand: "Integrative Therapeutics", form: "capsule", size: "60 capsules"),
        variant(1011, "Melatonin 3 mg", brand: "Pure Encapsulations", form: "capsule", size: "60 capsules"),
        variant(1012, "Curcumin Phytosome", brand: "Thorne", form: "capsule", size: "120 capsules"),
    ]

    static func variant(id: String) -> CatalogVariant? {
        variants.first { $0.id == id }
    }

    private static func variant(_ number: Int, _ product: String, brand: String, form: String, size: String) -> CatalogVariant {
        let brandID = "brand-" + brand.lowercased().filter { $0.isLetter || $0.isNumber }
        return CatalogVariant(id: "variant-\(number)", sku: "SKU-\(number)", productID: "product-\(number)", productName: product,
                              brandID: brandID, brandName: brand, form: form, size: size)
    }
}
