import Testing
@testable import Fullscript

struct DynamicLinkTests {
    func link(_ body: String) -> DynamicLink? {
        try? DynamicLink(answer: Array(body.utf8))
    }

    @Test(arguments: [
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient_id": "pa-1"}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient": {"id": "pa-1"}}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r"}, "patient": {"id": "pa-1"}}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r"}, "patient_id": "pa-1"}"#,
        #"{"dynamic_link": {"redirect_url": "https://x/r", "patient_id": "pa-1"}}"#,
        #"{"redirect_url": "https://x/r", "patient_id": "pa-1"}"#,
    ])
    func findsThePatientIDUnderEveryLikelyKey(_ body: String) {
        #expect(link(body) == DynamicLink(redirectURL: "https://x/r", patientID: "pa-1"))
    }

    @Test func readsTheTopLevelNewPlanShapeWithoutPatient() {
        #expect(link(#"{"redirect_url": "https://x/new"}"#) == DynamicLink(redirectURL: "https://x/new"))
    }

    @Test(arguments: [#"{"dynamic_links": {}}"#, #"{"redirect_url": ""}"#, #"{"redirect_url": null}"#, "[]", #"{"redirect_url": 7}"#, ""])
    func needsARedirectURL(_ body: String) {
        #expect(link(body) == nil)
    }

    /// Members of a type we do not expect count as absent, as unknown ones do, rather than failing the click.
    @Test(arguments: [
        #"{"dynamic_links": "https://x/other", "redirect_url": "https://x/r", "patient_id": 5}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient": "pa-2", "extra": [1, {"a": null}]}, "patient": [1]}"#,
        #"{"dynamic_links": {"redirect_url": "https://x/r", "patient": {"id": 9}}, "patient_id": null}"#,
    ])
    func ignoresMembersOfAnUnexpectedType(_ body: String) {
        #expect(link(body) == DynamicLink(redirectURL: "https://x/r"))
    }

    @Test func keepsNonASCIIAndEscapesAsSent() {
        #expect(link(#"{"redirect_url": "https://x/r?q=\"\u00e9\ud83d\ude00", "patient_id": "p\u0000ä"}"#)
            == DynamicLink(redirectURL: "https://x/r?q=\"é😀", patientID: "p\u{0}ä"))
    }
}
