import Foundation
import HTTPTypes
import Server

/// JSON for API bodies: keys in a stable order so logs and diffs of responses stay readable.
enum JSONBody {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our bodies are plain structs of strings; failing to encode one is a programming error.
        guard let data = try? encoder.encode(value) else { preconditionFailure("unencodable API body \(type(of: value))") }
        return Array(data)
    }

    /// An API answer: about a signed-in user or a patient, so never kept by a cache.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        var response = Response.json(encode(value), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
