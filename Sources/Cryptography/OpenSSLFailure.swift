internal import COpenSSL

/// Stops the process when libcrypto fails at something that cannot fail on a
/// healthy system (digest setup, RNG seeding): continuing would mean handing out
/// weak randomness or wrong digests, which is worse than crashing.
func openSSLFailure(_ operation: String, file: StaticString = #file, line: UInt = #line) -> Never {
    var reasons: [String] = []
    var code = ERR_get_error()
    while code != 0 {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        code = ERR_get_error()
    }
    let detail = reasons.isEmpty ? "no OpenSSL error queued" : reasons.joined(separator: "; ")
    fatalError("OpenSSL \(operation) failed: \(detail)", file: file, line: line)
}
