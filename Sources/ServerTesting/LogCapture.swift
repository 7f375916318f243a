import Locking
public import Logging

/// Collects log lines so tests can check what reaches the logs; copies share one record.
public struct LogCapture: LogHandler {
    private final class Record: Sendable {
        let lines = PThreadMutex<[String]>([])
    }

    private let record = Record()
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    /// `level message metadata`, oldest first.
    public var lines: [String] { record.lines.withLock { $0 } }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let text = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        record.lines.withLock { $0.append(text) }
    }
}
