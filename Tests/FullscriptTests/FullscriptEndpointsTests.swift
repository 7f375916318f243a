import Testing
@testable import Fullscript

struct FullscriptEndpointsTests {
    @Test func documentedDefaultsUseTheAPIHostForAuthorize() {
        #expect(FullscriptEndpoints.defaults(for: .usSandbox) == FullscriptEndpoints(
            apiBaseURL: "https://api-us-snd.fullscript.io/api", authorizeURL: "https://api-us-snd.fullscript.io/api/oauth/authorize"))
        #expect(FullscriptEndpoints.defaults(for: .caSandbox)?.apiBaseURL == "https://api-ca-snd.fullscript.io/api")
    }

    @Test func productionDefaultsToTheNewestDotComHosts() {
        #expect(FullscriptEndpoints.defaults(for: .usProduction)?.apiBaseURL == "https://api-us.fullscript.com/api")
        #expect(FullscriptEndpoints.defaults(for: .caProduction)?.authorizeURL == "https://api-ca.fullscript.com/api/oauth/authorize")
    }

    @Test func customHasNoDefaults() {
        #expect(FullscriptEndpoints.defaults(for: .custom) == nil)
        #expect(FullscriptEnvironment(rawValue: "us-sandbox") == .usSandbox)
    }
}
