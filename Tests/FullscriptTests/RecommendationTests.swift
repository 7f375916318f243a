import Foundation
import Testing
@testable import Fullscript

struct RecommendationTests {
    @Test func unexpectedTypesInExtrasBecomeNil() throws {
        let recommendation = try JSONDecoder().decode(Recommendation.self, from: Data(#"""
            {"variant_id": "v-1", "refill": "yes", "units_to_purchase": 1.5, "dosage": "twice"}
            """#.utf8))
        #expect(recommendation == Recommendation(variantID: "v-1"))
    }
}
