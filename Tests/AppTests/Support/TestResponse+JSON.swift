import Foundation
import ServerTesting
import Testing

extension TestResponse {
    var json: [String: Any] {
        get throws { try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) }
    }

    var apiError: [String: Any] {
        get throws { try #require(try json["error"] as? [String: Any]) }
    }

    var problemFields: [String] {
        get throws { try (apiError["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
    }
}
