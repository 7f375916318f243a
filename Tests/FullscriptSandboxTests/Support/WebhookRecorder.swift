
actor WebhookRecorder {
    struct Delivery {
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]
    }

    private(set) var deliveries: [Delivery] = []

    func receive(url: String, headers: [(String, String)], body: [UInt8]) -> (status: Int, body: [UInt8]) {
        deliveries.append(Delivery(url: url, headers: headers, body: body))
        return (200, Array(#"{"challenge":"sandbox-challenge"}"#.utf8))
    }
}
