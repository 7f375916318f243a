public import Logging

/// The id of the request whose handler is running, set by the server around each handler, so a
/// line logged deep inside it (a Fullscript call, a database retry) names its request too.
public enum RequestScope {
    @TaskLocal public static var id: String?
}

extension Logger.MetadataProvider {
    /// Adds `request_id` to every line logged while a handler runs; give it to `LoggingSystem.bootstrap`.
    public static let requestID = Logger.MetadataProvider {
        RequestScope.id.map { ["request_id": .string($0)] } ?? [:]
    }
}

/// Request ids: a caller's `X-Request-Id` is kept when it is short and plain, so one id follows a
/// request across services; otherwise a fresh one is made from a random per-loop prefix and a counter,
/// which is unique without a system call per request.
struct RequestIDGenerator {
    private let prefix: String
    private var counter: UInt64 = 0

    init() {
        var generator = SystemRandomNumberGenerator()
        prefix = String(generator.next() as UInt64, radix: 16)
    }

    mutating func next() -> String {
        counter &+= 1
        return prefix + "-" + String(counter, radix: 16)
    }

    static func isAcceptable(_ candidate: String) -> Bool {
        guard !candidate.isEmpty, candidate.utf8.count <= 128 else { return false }
        return candidate.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}
