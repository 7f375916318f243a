import Foundation
import Testing
@testable import Fullscript

struct RequestJSONTests {
    static let hostile = [
        "plain", "", #"quote " and backslash \ and slash /"#, "\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}",
        "Zoë 😀 𝄞 \u{2028}\u{2029} \u{FEFF}", #"</script><script>alert(1)</script>"#, "\\u0022", "a\"}, \"injected\": {\"x\": \"",
    ]

    /// What the draft links send: anything a name or email may hold reads back as it was, and the bytes
    /// are JSONEncoder's, so the simulator and Fullscript see what they saw before.
    @Test(arguments: hostile)
    func writesWhatJSONEncoderWrites(_ text: String) throws {
        let patient = ["first_name": text, text: "key", "email": "a@example.com"]
        let body = ["patient": patient, "treatment_plan": ["entrypoint": text]]
        let written = RequestJSON.object(body.mapValues { .object($0.mapValues(RequestJSON.string)) }).bytes

        let read = try #require(try JSONSerialization.jsonObject(with: Data(written)) as? [String: [String: String]])
        #expect(read == body)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(written == Array(try encoder.encode(body)))
    }
}
