import Foundation

/// Fullscript wraps every REST answer in one member named after the resource (`{"clinic": …}`,
/// `{"practitioners": […], "meta": …}`). The member name travels in the decoder's `userInfo` so one
/// type serves every endpoint.
struct Envelope<Value: Decodable>: Decodable {
    var value: Value
    var meta: PageMeta?

    init(from decoder: any Decoder) throws {
        guard let name = decoder.userInfo[.envelopeMember] as? String else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no envelope member named"))
        }
        let container = try decoder.container(keyedBy: MemberKey.self)
        value = try container.decode(Value.self, forKey: MemberKey(name))
        meta = container.decodeLenient(PageMeta.self, forKey: MemberKey("meta"))
    }

    static func decode(_ body: [UInt8], member: String) throws -> Envelope {
        let decoder = JSONDecoder()
        decoder.userInfo[.envelopeMember] = member
        return try decoder.decode(Envelope.self, from: Data(body))
    }
}

extension CodingUserInfoKey {
    static let envelopeMember = CodingUserInfoKey(rawValue: "fullscript.envelopeMember")!
}
