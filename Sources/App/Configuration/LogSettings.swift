public import Logging

/// How much is logged, and in which shape.
public struct LogSettings: Sendable {
    public var level: Logger.Level
    /// `text` for a terminal, `json` (one object per line) for a log collector.
    public var format: LogFormat

    init(_ config: ValidatingReader) throws(ConfigError) {
        let level = try config.string("log.level")
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(key: "log.level", problem: "'\(level)' is not one of \(names)")
        }
        self.level = parsed
        let format = try config.string("log.format")
        guard let parsedFormat = LogFormat(rawValue: format) else {
            throw ConfigError(key: "log.format", problem: "'\(format)' is not one of text, json")
        }
        self.format = parsedFormat
    }
}
