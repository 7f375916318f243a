/// One result row, fully copied out of SQLite so it can outlive the statement
/// and cross threads.
///
/// Accessors throw `RowError` rather than trapping: a schema that drifted from
/// the code should fail one request, not crash the server.
public struct Row: Sendable, Hashable {
    public let values: [DatabaseValue]
    let columns: Columns

    package init(values: [DatabaseValue], columns: Columns) {
        self.values = values
        self.columns = columns
    }

    public var columnNames: [String] { columns.names }

    public subscript(index: Int) -> DatabaseValue { values[index] }

    public func value(_ index: Int) throws -> DatabaseValue {
        guard values.indices.contains(index) else {
            throw RowError.indexOutOfRange(index: index, columnCount: values.count)
        }
        return values[index]
    }

    public func value(_ name: String) throws -> DatabaseValue {
        guard let index = columns.index(of: name) else { throw RowError.noSuchColumn(name: name) }
        return values[index]
    }

    public func int(_ index: Int) throws -> Int { try decode(index) }
    public func int(_ name: String) throws -> Int { try decode(name) }
    public func optionalInt(_ index: Int) throws -> Int? { try decodeOptional(index) }
    public func optionalInt(_ name: String) throws -> Int? { try decodeOptional(name) }

    public func int64(_ index: Int) throws -> Int64 { try decode(index) }
    public func int64(_ name: String) throws -> Int64 { try decode(name) }
    public func optionalInt64(_ index: Int) throws -> Int64? { try decodeOptional(index) }
    public func optionalInt64(_ name: String) throws -> Int64? { try decodeOptional(name) }

    public func double(_ index: Int) throws -> Double { try decode(index) }
    public func double(_ name: String) throws -> Double { try decode(name) }
    public func optionalDouble(_ index: Int) throws -> Double? { try decodeOptional(index) }
    public func optionalDouble(_ name: String) throws -> Double? { try decodeOptional(name) }

    public func bool(_ index: Int) throws -> Bool { try decode(index) }
    public func bool(_ name: String) throws -> Bool { try decode(name) }
    public func optionalBool(_ index: Int) throws -> Bool? { try decodeOptional(index) }
    public func optionalBool(_ name: String) throws -> Bool? { try decodeOptional(name) }

    public func string(_ index: Int) throws -> String { try decode(index) }
    public func string(_ name: String) throws -> String { try decode(name) }
    public func optionalString(_ index: Int) throws -> String? { try decodeOptional(index) }
    public func optionalString(_ name: String) throws -> String? { try decodeOptional(name) }

    public func blob(_ index: Int) throws -> [UInt8] { try decode(index) }
    public func blob(_ name: String) throws -> [UInt8] { try decode(name) }
    public func optionalBlob(_ index: Int) throws -> [UInt8]? { try decodeOptional(index) }
    public func optionalBlob(_ name: String) throws -> [UInt8]? { try decodeOptional(name) }

    private func decode<T: ColumnDecodable>(_ index: Int) throws -> T {
        try T.decode(value(index), column: columnLabel(index))
    }

    private func decode<T: ColumnDecodable>(_ name: String) throws -> T {
        try T.decode(value(name), column: name)
    }

    private func decodeOptional<T: ColumnDecodable>(_ index: Int) throws -> T? {
        let value = try value(index)
        return value == .null ? nil : try T.decode(value, column: columnLabel(index))
    }

    private func decodeOptional<T: ColumnDecodable>(_ name: String) throws -> T? {
        let value = try value(name)
        return value == .null ? nil : try T.decode(value, column: name)
    }

    private func columnLabel(_ index: Int) -> String {
        "\(index) (\(columns.names[index]))"
    }
}

/// Column names of one result set, shared by all its rows.
package struct Columns: Sendable, Hashable {
    let names: [String]
    private let lookup: [String: Int]

    package init(names: [String]) {
        self.names = names
        // SQLite matches identifiers case-insensitively; with duplicate names
        // (joins) the first column wins, as in `SELECT *` conventions.
        var lookup: [String: Int] = [:]
        for (index, name) in names.enumerated() where lookup[name.lowercased()] == nil {
            lookup[name.lowercased()] = index
        }
        self.lookup = lookup
    }

    /// The keys are lower case, so a name asked in lower case (as the stores do) is found without lowering it.
    func index(of name: String) -> Int? { lookup[name] ?? lookup[name.lowercased()] }
}

public enum RowError: Error, Sendable, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: Int, columnCount: Int)
    case noSuchColumn(name: String)
    /// Only type names are reported; the value itself may be sensitive.
    case typeMismatch(column: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .indexOutOfRange(index, columnCount):
            "Column index \(index) is out of range: the row has \(columnCount) columns"
        case let .noSuchColumn(name):
            "The row has no column named '\(name)'"
        case let .typeMismatch(column, expected, actual):
            "Column \(column) holds \(actual), expected \(expected)"
        }
    }
}

private protocol ColumnDecodable {
    static var sqliteTypeName: String { get }
    static func decode(_ value: DatabaseValue) -> Self?
}

extension ColumnDecodable {
    static func decode(_ value: DatabaseValue, column: String) throws -> Self {
        guard let decoded = decode(value) else {
            throw RowError.typeMismatch(column: column, expected: sqliteTypeName, actual: value.typeName)
        }
        return decoded
    }
}

extension Int: ColumnDecodable {
    static var sqliteTypeName: String { "INTEGER" }
    static func decode(_ value: DatabaseValue) -> Int? {
        if case let .integer(number) = value { Int(exactly: number) } else { nil }
    }
}

extension Int64: ColumnDecodable {
    static var sqliteTypeName: String { "INTEGER" }
    static func decode(_ value: DatabaseValue) -> Int64? {
        if case let .integer(number) = value { number } else { nil }
    }
}

extension Double: ColumnDecodable {
    static var sqliteTypeName: String { "REAL" }
    // Integers widen because SQLite itself returns whole-number expressions as INTEGER.
    static func decode(_ value: DatabaseValue) -> Double? {
        switch value {
        case let .real(number): number
        case let .integer(number): Double(number)
        default: nil
        }
    }
}

extension Bool: ColumnDecodable {
    static var sqliteTypeName: String { "INTEGER (0 or 1)" }
    static func decode(_ value: DatabaseValue) -> Bool? {
        switch value {
        case .integer(0): false
        case .integer(1): true
        default: nil
        }
    }
}

extension String: ColumnDecodable {
    static var sqliteTypeName: String { "TEXT" }
    static func decode(_ value: DatabaseValue) -> String? {
        if case let .text(text) = value { text } else { nil }
    }
}

extension Array: ColumnDecodable where Element == UInt8 {
    static var sqliteTypeName: String { "BLOB" }
    static func decode(_ value: DatabaseValue) -> [UInt8]? {
        if case let .blob(bytes) = value { bytes } else { nil }
    }
}
