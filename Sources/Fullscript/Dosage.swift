/// Free-text dosing as the practitioner wrote it; Fullscript does not structure it further.
public struct Dosage: Sendable, Equatable, Codable {
    public var amount: String?
    public var frequency: String?
    public var duration: String?
    public var format: String?
    public var additionalInfo: String?
    public var timeOfDay: [String]

    public init(amount: String? = nil, frequency: String? = nil, duration: String? = nil, format: String? = nil,
                additionalInfo: String? = nil, timeOfDay: [String] = []) {
        self.amount = amount
        self.frequency = frequency
        self.duration = duration
        self.format = format
        self.additionalInfo = additionalInfo
        self.timeOfDay = timeOfDay
    }

    private enum CodingKeys: String, CodingKey {
        case amount, frequency, duration, format, additionalInfo = "additional_info", timeOfDay = "time_of_day"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        amount = container.decodeLenient(String.self, forKey: .amount)
        frequency = container.decodeLenient(String.self, forKey: .frequency)
        duration = container.decodeLenient(String.self, forKey: .duration)
        format = container.decodeLenient(String.self, forKey: .format)
        additionalInfo = container.decodeLenient(String.self, forKey: .additionalInfo)
        timeOfDay = container.decodeLenient([String].self, forKey: .timeOfDay) ?? []
    }
}
