import Testing
@testable import Fullscript

struct DynamicLinkTests {
    @Test(arguments: [
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient_id": "pa-1"}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient": {"id": "pa-1"}}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r"}, "patient": {"id": "pa-1"}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r"}, "patient_id": "pa-1"}"#,
        #"{"redirect_url": "https://x/r", "patient_id": "pa-1"}"#,
    ])
    func findsThePatientIDUnderEveryLikelyKey(_ body: String) throws {
        #expect(DynamicLink(json: try #require(Fixture.json(body))) == DynamicLink(redirectURL: "https://x/r", patientID: "pa-1"))
    }

    @Test func readsTheTopLevelNewPlanShapeWithoutPatient() throws {
        #expect(DynamicLink(json: try #require(Fixture.json(#"{"redirect_url": "https://x/new"}"#))) == DynamicLink(redirectURL: "https://x/new"))
    }

    @Test(arguments: [#"{"dynamic_links": {}}"#, #"{"redirect_url": ""}"#, #"{"redirect_url": null}"#, "[]"])
    func needsARedirectURL(_ body: String) throws {
        #expect(DynamicLink(json: try #require(Fixture.json(body))) == nil)
    }
}
