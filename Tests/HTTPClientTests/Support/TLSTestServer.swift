import COpenSSL
import Foundation
import Glibc
import Synchronization

/// A blocking HTTPS server with a thread per connection, answering every
/// request with "ok". Only the client under test must be non-blocking; this just has to speak TLS
/// with the certificate chosen by the test.
final class TLSTestServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let context: OpaquePointer
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    let requestsServed = Atomic<Int>(0)

    init(certificate: String, key: String) throws {
        guard let context = SSL_CTX_new(TLS_server_method()),
            SSL_CTX_use_certificate_file(context, certificate, SSL_FILETYPE_PEM) == 1,
            SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1
        else { throw TLSTestServerError.setup("certificate or key not loadable") }
        self.context = context
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw TLSTestServerError.setup("cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard port > 0 else { throw TLSTestServerError.setup("no port") }
        Thread { [self] in serve() }.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        done.wait()
        close(listener)
        SSL_CTX_free(context)
    }

    private func serve() {
        defer { done.signal() }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        if let ssl = SSL_new(context) {
            SSL_set_fd(ssl, client)
            if SSL_accept(ssl) == 1 { answer(ssl) }
            SSL_free(ssl)
        }
        close(client)
    }

    /// Reads request heads (no bodies) and answers each until the client closes.
    private func answer(_ ssl: OpaquePointer) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        while true {
            while let end = Self.headEnd(in: pending) {
                pending.removeFirst(end)
                requestsServed.add(1, ordering: .relaxed)
                guard SSL_write(ssl, response, Int32(response.count)) > 0 else { return }
            }
            let count = SSL_read(ssl, &buffer, Int32(buffer.count))
            guard count > 0 else { return }
            pending += buffer[..<Int(count)]
        }
    }

    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index..<index + 4].elementsEqual([13, 10, 13, 10]) {
            return index + 4
        }
        return nil
    }
}

