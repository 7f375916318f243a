@testable import FullscriptSandbox

extension JSON {
    var array: [JSON] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
