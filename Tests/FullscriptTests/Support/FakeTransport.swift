import Foundation
import HTTPTypes
import Logging
import ServerTesting
import Synchronization
@testable import Fullscript

/// Records every request and answers with canned responses, in order.
final class FakeTransport: FullscriptTransport {
    struct Sent {
        var request: HTTPRequest
        var body: [UInt8]?

        var json: JSONValue? { body.flatMap { JSONValue(parsing: $0) } }
        var url: String { "\(request.scheme ?? "")://\(request.authority ?? "")\(request.path ?? "")" }
    }

    enum Reply {
        case answer(Int, String, headers: [String: String] = [:])
        case failure(any Error & Sendable)
    }

    private let state: Mutex<(sent: [Sent], replies: [Reply])>

    init(_ replies: Reply...) {
        state = Mutex((sent: [], replies: replies))
    }

    var sent: [Sent] { state.withLock { $0.sent } }

    func send(_ request: HTTPRequest, body: [UInt8]?) async throws -> (HTTPResponse, [UInt8]) {
        let reply = state.withLock { state in
            state.sent.append(Sent(request: request, body: body))
            return state.replies.isEmpty ? nil : state.replies.removeFirst()
        }
        switch reply {
        case .answer(let status, let body, let headers):
            var fields = HTTPFields()
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            return (HTTPResponse(status: .init(code: status), headerFields: fields), Array(body.utf8))
        case .failure(let error):
            throw error
        case nil:
            throw TransportDown()
        }
    }
}

