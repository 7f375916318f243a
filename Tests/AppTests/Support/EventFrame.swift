/// One server-sent-events block as it arrived: its fields in order, comments included (`""` name).
struct EventFrame: CustomStringConvertible {
    var fields: [(name: String, value: String)]

    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    var id: String? { value("id") }
    var event: String? { value("event") }
    var data: String? { value("data") }
    var isHeartbeat: Bool { fields.contains { $0.name.isEmpty && $0.value == "heartbeat" } }
    var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: " | ") }
}
