import Testing
@testable import Fullscript

struct FullscriptCredentialsTests {
    @Test func descriptionAndDumpRedactTheSecret() {
        let credentials = Fixture.credentials
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, "\(credentials)", String(reflecting: credentials), dumped] {
            #expect(!text.contains("s3cret-value"))
            #expect(text.contains("client-1"))
        }
    }
}
