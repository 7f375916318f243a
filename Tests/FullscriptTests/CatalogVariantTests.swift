import Foundation
import Testing
@testable import Fullscript

/// `GET /catalog/variants/{id}` has no documented shape (fullscript-api.md §12): both guesses read.
struct CatalogVariantTests {
    @Test func readsTheProductAndBrandNestedOrFlat() throws {
        let nested = try JSONDecoder().decode(CatalogVariant.self, from: Data(#"""
            {"id": 1001, "sku": "SKU-1", "form": "capsule", "size": "90 capsules",
             "product": {"id": "p-1", "name": "Magnesium Glycinate", "brand": {"id": "b-1", "name": "Pure Encapsulations"}}}
            """#.utf8))
        #expect(nested == CatalogVariant(id: "1001", productName: "Magnesium Glycinate", brandName: "Pure Encapsulations",
                                         form: "capsule", size: "90 capsules", sku: "SKU-1"))
        let flat = try JSONDecoder().decode(CatalogVariant.self, from: Data(#"""
            {"id": "v-2", "product_name": "Zinc", "brand_name": "Thorne", "unit_size": "60 capsules", "form": 3}
            """#.utf8))
        #expect(flat == CatalogVariant(id: "v-2", productName: "Zinc", brandName: "Thorne", size: "60 capsules"), "a form of the wrong type is dropped")
    }

    @Test func encodesFlatAsTheStoreKeepsIt() throws {
        let variant = CatalogVariant(id: "v-1", productName: "Zinc", brandName: "Thorne", form: "capsule", size: "60 capsules", sku: "S")
        #expect(try JSONDecoder().decode(CatalogVariant.self, from: JSONEncoder().encode(variant)) == variant)
    }

    @Test func plansKeepResourcesAndLabTests() throws {
        let plan = try JSONDecoder().decode(TreatmentPlan.self, from: Data(#"""
            {"id": "tp-1", "state": "active", "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
             "resources": [{"id": "r-1", "title": "Sleep"}], "lab_recommendations": [{"id": "l-1", "tests": [{"name": "CMP"}]}]}
            """#.utf8))
        #expect(plan.resources == [.object(["id": .string("r-1"), "title": .string("Sleep")])])
        #expect(plan.labRecommendations == [.object(["id": .string("l-1"), "tests": .array([.object(["name": .string("CMP")])])])])
        let again = try JSONDecoder().decode(TreatmentPlan.self, from: JSONEncoder().encode(plan))
        #expect(again == plan)
    }
}
