@testable import Fullscript
import Foundation
import Logging
import ServerTesting

enum Fixture {
    static let credentials = FullscriptCredentials(clientID: "client-1", clientSecret: "s3cret-value", redirectURI: "https://ehr.example/oauth/fullscript/callback")

    static func client(_ transport: FakeTransport, logs: LogCapture = LogCapture()) -> FullscriptClient {
        FullscriptClient(endpoints: FullscriptEndpoints.defaults(for: .usSandbox)!, credentials: credentials,
                         transport: transport, logger: Logger(label: "test") { _ in logs })
    }

    static func json(_ text: String) -> JSONValue? {
        JSONValue(parsing: Array(text.utf8))
    }

    static func date(_ text: String) -> Date {
        Timestamp.parse(text)!
    }
}
