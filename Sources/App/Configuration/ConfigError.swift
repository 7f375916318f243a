/// A configuration problem, worded for the operator who has to fix it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String {
        "configuration key '\(key)' (environment \(ValidatingReader.environmentName(of: key))): \(problem)"
    }
}
