@testable import FullscriptSandbox
import ServerTesting

struct TestResponseSummary: Equatable {
    var status: Int
    var error: String?
}
