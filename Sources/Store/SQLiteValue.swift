/// A value bound to or read from SQLite, one case per storage class.
///
/// Literals convert implicitly, so bindings read as `["alice", 3, nil]`;
/// variables use the cases (`.text(name)`) or `SQLiteValue(optional)`, which
/// maps `nil` to `.null`.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLiteValue.integer) ?? .null }
    public init(_ value: Double?) { self = value.map(SQLiteValue.real) ?? .null }
    public init(_ value: String?) { self = value.map(SQLiteValue.text) ?? .null }
    public init(_ value: [UInt8]?) { self = value.map(SQLiteValue.blob) ?? .null }
    /// SQLite has no boolean type; 0 and 1 are its convention.
    public init(_ value: Bool?) { self = value.map { .integer($0 ? 1 : 0) } ?? .null }

    /// The storage class name SQLite uses, for error messages that must not show the value.
    public var typeName: String {
        switch self {
        case .null: "NULL"
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }
}

extension SQLiteValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLiteValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLiteValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

extension SQLiteValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}
