import Foundation

/// A throwaway CA and leaf certificates made with the openssl command line, so no key material
/// lives in the repository and nothing expires in it.
struct TestCertificates {
    let directory: URL
    var caFile: String { path("ca.pem") }

    /// Leaves for localhost/127.0.0.1 (good and expired), for another host, and one from a CA
    /// that the client is never told about.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-client-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeCA("ca")
        try makeCA("stranger-ca")
        try makeLeaf("good", names: "DNS:localhost,IP:127.0.0.1", days: 2, ca: "ca")
        try makeLeaf("expired", names: "DNS:localhost,IP:127.0.0.1", days: -1, ca: "ca")
        try makeLeaf("other-host", names: "DNS:other.example", days: 2, ca: "ca")
        try makeLeaf("untrusted", names: "DNS:localhost,IP:127.0.0.1", days: 2, ca: "stranger-ca")
    }

    /// One set for the whole run, made on a thread of its own: the openssl commands take a while, and
    /// waiting for them on one of Swift's pool threads would hold up every test running beside these.
    static let shared = Task { try await offThePool { try TestCertificates() } }

    static func offThePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    static func opensslVersion() throws -> String {
        try run(["version"])
    }

    private func makeCA(_ name: String) throws {
        try Self.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj", "/CN=\(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        ])
    }

    /// `days` of -1 makes notAfter precede now: openssl 3.0's x509 has no -not_after yet.
    private func makeLeaf(_ name: String, names: String, days: Int, ca: String) throws {
        try Self.run([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(name)",
        ])
        let extensions = path("\(name).ext")
        try "subjectAltName=\(names)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.run([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
            "-set_serial", "\(Int.random(in: 1...Int(Int32.max)))", "-days", "\(days)", "-extfile", extensions,
            "-out", path("\(name).pem"),
        ])
    }

    @discardableResult
    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw OpenSSLCommandFailed(arguments: arguments, output: text) }
        return text
    }
}

