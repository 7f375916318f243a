/// Who authorized a token: a practitioner (whose id is the `practitioner_id` for dynamic links) or a
/// staff member (who must pick a practitioner).
public struct ResourceOwner: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case practitioner = "Practitioner"
        case staff = "Staff"

        /// Case-insensitive: the docs show `"Practitioner"` but their own pseudo-code compares to `"practitioner"`.
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let kind = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "unknown resource owner type"))
            }
            self = kind
        }
    }

    public var id: String
    public var type: Kind

    public init(id: String, type: Kind) {
        self.id = id
        self.type = type
    }

    private enum CodingKeys: String, CodingKey { case id, type }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeID(forKey: .id)
        type = try container.decode(Kind.self, forKey: .type)
    }
}
