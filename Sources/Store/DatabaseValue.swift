/// A value bound to or read from either store, one case per SQLite storage class (PostgreSQL's
/// values map onto them: `PostgresConnection` says how).
///
/// Literals convert implicitly, so bindings read as `["alice", 3, nil]`;
/// variables use the cases (`.text(name)`) or `DatabaseValue(optional)`, which
/// maps `nil` to `.null`.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map(DatabaseValue.integer) ?? .null }
    public init(_ value: Double?) { self = value.map(DatabaseValue.real) ?? .null }
    public init(_ value: String?) { self = value.map(DatabaseValue.text) ?? .null }
    public init(_ value: [UInt8]?) { self = value.map(DatabaseValue.blob) ?? .null }
    /// SQLite has no boolean type; 0 and 1 are its convention.
    public init(_ value: Bool?) { self = value.map { .integer($0 ? 1 : 0) } ?? .null }

    /// The storage class's name, for error messages that must not show the value.
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

extension DatabaseValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension DatabaseValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension DatabaseValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension DatabaseValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

extension DatabaseValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}
