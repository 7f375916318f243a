
struct OpenSSLCommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let output: String
    var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
}
