/// Any JSON, for the bodies whose shape the documentation leaves open (dynamic-link patient ids,
/// error bodies): looking through a tree is simpler than one `Decodable` per guess. Public because
/// the app's own API checks value types the same way (a number where a string belongs).
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    // Each miss throws (and builds) a DecodingError, so strings and objects, what Fullscript's answers
    // are made of, are tried first; Bool still before Double, as before, in case a decoder reads 1 as true.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let members = try? container.decode([String: JSONValue].self) {
            self = .object(members)
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let members): try container.encode(members)
        }
    }

    /// `nil` when the bytes are not JSON.
    public init?(parsing bytes: some Collection<UInt8>) {
        guard let value = JSONReader.value(of: bytes) else { return nil }
        self = value
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// Strings as they are, integral numbers without a fraction: ids may be either.
    var string: String? {
        switch self {
        case .string(let text): text
        case .number(let number) where number == number.rounded() && abs(number) < 1e15: String(Int64(number))
        default: nil
        }
    }
}
