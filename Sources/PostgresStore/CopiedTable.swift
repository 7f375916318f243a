/// One table as `SQLiteToPostgresCopy` left it: its rows counted on both sides after the copy, and
/// where each identity or serial column's sequence now starts, past the copied values.
public struct CopiedTable: Sendable, Equatable {
    public let name: String
    public let sourceRows: Int
    public let targetRows: Int
    /// Column name → the value its sequence hands out next.
    public let nextValues: [String: Int64]

    public init(name: String, sourceRows: Int, targetRows: Int, nextValues: [String: Int64]) {
        self.name = name
        self.sourceRows = sourceRows
        self.targetRows = targetRows
        self.nextValues = nextValues
    }
}
