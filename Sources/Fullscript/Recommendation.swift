/// One product (variant) on a treatment plan, with the practitioner's dosing instructions.
public struct Recommendation: Sendable, Equatable, Codable {
    public var variantID: String
    public var refill: Bool?
    public var unitsToPurchase: Int?
    public var takeWith: String?
    public var dosage: Dosage?

    public init(variantID: String, refill: Bool? = nil, unitsToPurchase: Int? = nil, takeWith: String? = nil, dosage: Dosage? = nil) {
        self.variantID = variantID
        self.refill = refill
        self.unitsToPurchase = unitsToPurchase
        self.takeWith = takeWith
        self.dosage = dosage
    }

    private enum CodingKeys: String, CodingKey {
        case variantID = "variant_id", refill, unitsToPurchase = "units_to_purchase", takeWith = "take_with", dosage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        variantID = try container.decodeID(forKey: .variantID)
        refill = container.decodeLenient(Bool.self, forKey: .refill)
        unitsToPurchase = container.decodeLenient(Int.self, forKey: .unitsToPurchase)
        takeWith = container.decodeLenient(String.self, forKey: .takeWith)
        dosage = container.decodeLenient(Dosage.self, forKey: .dosage)
    }
}
