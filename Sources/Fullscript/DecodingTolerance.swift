/// Fullscript calls adding fields or changing id formats non-breaking, so ids are read from strings
/// or numbers and optional extras that arrive in an unexpected type become `nil` instead of failing
/// the whole response.
extension KeyedDecodingContainer {
    func decodeID(forKey key: Key) throws -> String {
        if let number = try? decode(Int64.self, forKey: key) { return String(number) }
        return try decode(String.self, forKey: key)
    }

    func decodeIDIfPresent(forKey key: Key) -> String? {
        guard contains(key), (try? decodeNil(forKey: key)) == false else { return nil }
        return try? decodeID(forKey: key)
    }

    func decodeLenient<Value: Decodable>(_ type: Value.Type, forKey key: Key) -> Value? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}

/// A key chosen at run time, for envelopes named per endpoint (`{"clinic": …}`, `{"patients": […]}`).
struct MemberKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
