import Testing
@testable import Fullscript

struct BaseURLTests {
    @Test func splitsSchemeAuthorityAndPrefix() {
        let base = BaseURL("https://api-us-snd.fullscript.io/api/")
        #expect(base?.scheme == "https")
        #expect(base?.authority == "api-us-snd.fullscript.io")
        #expect(base?.pathPrefix == "/api")
        #expect(BaseURL("http://127.0.0.1:8081")?.authority == "127.0.0.1:8081")
        #expect(BaseURL("http://127.0.0.1:8081")?.pathPrefix == "")
    }

    @Test(arguments: ["api-us.fullscript.com/api", "ftp://host/api", "https:///api", "https://host/api?x=1", ""])
    func rejectsWhatIsNotAnAbsoluteHTTPURL(_ text: String) {
        #expect(BaseURL(text) == nil)
    }
}
