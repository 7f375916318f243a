/// One statement with its bindings, for the operations that take their statements up front (`SQLDatabase.briefRead`),
/// so that a store may send them all at once.
public struct SQLStatement: Sendable {
    public let sql: String
    public let bindings: [DatabaseValue]

    public init(_ sql: String, _ bindings: [DatabaseValue] = []) {
        self.sql = sql
        self.bindings = bindings
    }
}
