import Foundation
import HTTPTypes
import Server

/// A failure the sandbox injects into `/api` answers, to exercise the app's error handling.
public enum Fault: Sendable, Equatable {
    /// Waits this long, then answers normally (or with another fault in the same set).
    case latency(Duration)
    /// Answers this status with a JSON error body.
    case status(Int)
    /// Drops the connection mid-answer.
    case closeConnection
    /// Answers 200 with a truncated JSON body.
    case malformedJSON
}

/// The faults in force and how many more requests they apply to.
struct FaultPlan: Sendable {
    private var faults: [Fault] = []
    private var remaining: Int?
    /// Only requests whose path starts with this get the faults (and count); nil: every request.
    private var pathPrefix: String?

    init() {}

    init(faults: [Fault], count: Int?, pathPrefix: String? = nil) {
        self.faults = faults
        remaining = count
        self.pathPrefix = pathPrefix
    }

    /// The faults for the next request to `path`, counting it against the plan.
    mutating func next(path: String) -> [Fault] {
        guard !faults.isEmpty, pathPrefix.map(path.hasPrefix) ?? true else { return [] }
        if let count = remaining {
            guard count > 0 else { return [] }
            remaining = count - 1
        }
        return faults
    }
}

enum FaultInjection {
    /// Latencies add up; of the faults that shape the answer, the first listed wins.
    static func apply(_ faults: [Fault], to handler: Handler, request: Request) async throws -> Response {
        for case .latency(let duration) in faults {
            try await Task.sleep(for: duration)
        }
        for fault in faults {
            switch fault {
            case .latency:
                continue
            case .status(let code):
                return .jsonError("sandbox fault: status \(code)", status: HTTPResponse.Status(code: code))
            case .closeConnection:
                return dropConnection
            case .malformedJSON:
                return try await truncated(handler(request))
            }
        }
        return try await handler(request)
    }

    /// Our Server always writes a response head before its body and has no way for a handler to
    /// abandon a connection silently; a streamed body that throws makes it close the connection at
    /// once. The client sees a head and then EOF before the first chunk: a dropped connection
    /// mid-response, which HTTP clients report as a transport error, not as an answer.
    private static var dropConnection: Response {
        Response(status: .ok, headerFields: [.contentType: "application/json"], body: .stream { _ in throw ConnectionDropped() })
    }

    private struct ConnectionDropped: Error {}

    private static func truncated(_ response: Response) -> Response {
        guard case .bytes(let bytes) = response.body else { return .json(Array("{\"".utf8)) }
        return .json(Array(bytes.prefix(max(1, bytes.count / 2))))
    }
}
