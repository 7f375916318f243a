import Foundation
import Fullscript
public import Logging

/// One JSON object per line (`log.format: json`), for log collectors: `ts`, `level`, `label`,
/// `message`, `source`, then the metadata (request ids among it) as fields. Each line goes out in
/// one write, so lines from concurrent requests do not interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// Metadata of the moment, such as the running request's id (`Logger.MetadataProvider.requestID`).
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = (metadataProvider?.get() ?? [:])
            .merging(metadata) { _, new in new }
            .merging(event.metadata ?? [:]) { _, new in new }
            .mapValues(Self.json)
        if let error = event.error { fields["error"] = .string("\(error)") }
        fields["ts"] = .string(Timestamp.iso8601(Date()))
        fields["level"] = .string(event.level.rawValue)
        fields["label"] = .string(label)
        fields["message"] = .string(event.message.description)
        fields["source"] = .string(event.source)
        write(String(decoding: JSONBody.encode(JSONValue.object(fields)), as: UTF8.self))
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
