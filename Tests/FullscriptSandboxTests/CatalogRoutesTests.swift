@testable import FullscriptSandbox
import Testing
import ServerTesting

/// The catalog (fullscript-api.md §12): variants by id, for any clinic's token, with faults of their own.
struct CatalogRoutesTests {
    @Test func aVariantNamesItsProductBrandFormAndSize() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-4")
            let answer = try await sandbox.send("GET", "/api/catalog/variants/variant-1001", token: token)
            #expect(answer.status == 200)
            let variant = try sandbox.json(answer)["variant"]
            #expect(variant?["id"]?.text == "variant-1001" && variant?["sku"]?.text == "SKU-1001")
            #expect(variant?["form"]?.text == "capsule" && variant?["size"]?.text == "90 capsules")
            #expect(variant?["product"]?["name"]?.text == "Magnesium Glycinate")
            #expect(variant?["product"]?["brand"]?["name"]?.text == "Pure Encapsulations")
            #expect(try await sandbox.send("GET", "/api/catalog/variants/variant-9999", token: token).status == 404)
            #expect(try await sandbox.send("GET", "/api/catalog/variants/variant-1001").status == 401)
        }
    }

    @Test func activatedPlansRecommendCatalogVariantsWithResourcesAndLabsFromTheLabsEntrypoint() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            let path = try await sandbox.draftPlanPath(token: token)
            let activated = try await sandbox.send("POST", path + "/activate", body: "patient_id=pat-1", contentType: "application/x-www-form-urlencoded")
            #expect(activated.status == 303)
            let id = String(path.split(separator: "/").last ?? "")
            let plan = try sandbox.json(try await sandbox.send("GET", "/api/clinic/treatment_plans/\(id)", token: token))["treatment_plan"]
            let variants = plan?["recommendations"]?.array.compactMap { $0["variant_id"]?.text } ?? []
            #expect(variants == ["variant-1001", "variant-1002", "variant-1003"])
            #expect(variants.allSatisfy { SandboxCatalog.variant(id: $0) != nil })
            #expect(plan?["resources"]?.array.first?["title"]?.text == "Magnesium and sleep: a patient guide")
            #expect(plan?["lab_recommendations"]?.array.isEmpty == true, "a catalog plan recommends no labs")
        }
    }

    @Test func faultsCanBeLimitedToTheCatalogOverHTTP() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            #expect(try await sandbox.send("POST", "/_sandbox/faults?path_prefix=/api/catalog", body: #"[{"status":503}]"#).status == 204)
            #expect(try await sandbox.send("GET", "/api/catalog/variants/variant-1001", token: token).status == 503)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
        }
    }
}
