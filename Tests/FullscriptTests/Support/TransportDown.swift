
struct TransportDown: Error, CustomStringConvertible {
    var description: String { "connection refused" }
}
