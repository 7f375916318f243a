import Foundation
import Glibc
import Logging
public import Server

/// Test support, like HummingbirdTesting's `.live` mode: a loopback client that speaks raw bytes, so tests can
/// send exactly what a misbehaving client would (split, malformed, dribbled) and read exactly what the server
/// wrote. Its socket is non-blocking and every wait happens on `SocketWaiter`'s thread, never on one of Swift's
/// cooperative threads, which the servers and simulators under test need.
public final class TestClient {
    public let descriptor: Int32
    private var buffer: [UInt8] = []
    /// How long one wait for the server may take before a read throws `TestClientError.timedOut`.
    private let timeout: Duration

    /// `receiveBufferBytes` shrinks the socket's receive buffer before connecting (the window is
    /// fixed then), so a test can make the server's writes stall with little data.
    ///
    /// The connect itself is the one call made blocking: to a loopback listener the kernel completes it at
    /// once (the listener need not accept), and it returns without a suspension, so a test's first bytes
    /// leave right after it, however busy the machine: a server times a new connection from accept.
    public init(port: Int, timeoutSeconds: Int = 10, receiveBufferBytes: Int32? = nil) async throws {
        timeout = .seconds(timeoutSeconds)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError.connectFailed(errno) }
        if var size = receiveBufferBytes {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw TestClientError.connectFailed(errno) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    public func send(_ text: String) async { await send(Array(text.utf8)) }

    /// Sends all of `bytes`, waiting while the socket is full; gives up silently when the server has gone
    /// (what it answered is still read) or has not read anything for the client's timeout.
    public func send(_ bytes: [UInt8]) async {
        await sender.send(bytes)
    }

    /// Sends on this connection from another task while this one reads: for a test whose request is larger
    /// than the socket buffers hold, when the server's answers fill the other direction meanwhile.
    public var sender: Sender { Sender(descriptor: descriptor, timeout: timeout) }

    public struct Sender: Sendable {
        let descriptor: Int32
        let timeout: Duration

        public func send(_ bytes: [UInt8]) async {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                if sent >= 0 {
                    offset += sent
                } else if errno == EAGAIN || errno == EWOULDBLOCK {
                    guard await SocketWaiter.shared.wait(for: descriptor, events: Int16(POLLOUT), until: .now + timeout) else { return }
                } else if errno != EINTR {
                    return
                }
            }
        }
    }

    /// Reads one response; `head` says the request was HEAD, so no body follows.
    public func readResponse(head: Bool = false) async throws -> TestResponse {
        let headEnd = try await readUntil([13, 10, 13, 10])
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestClientError.malformed(statusLine) }
        let headers = try lines.map { line -> (String, String) in
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError.malformed(line) }
            return (String(line[..<colon]).lowercased(), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        if head || status == 204 || status == 304 || status < 200 { return response }
        if response.header("transfer-encoding") == "chunked" {
            while true {
                let lineEnd = try await readUntil([13, 10])
                let size = Int(String(decoding: buffer[..<lineEnd], as: UTF8.self), radix: 16) ?? 0
                buffer.removeFirst(lineEnd + 2)
                try await fill(size + 2)
                response.body += buffer[..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else if let length = response.header("content-length").flatMap({ Int($0) }) {
            try await fill(length)
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            response.body = try await readToEnd()
        }
        return response
    }

    /// Ends our sending side (a FIN), as a client does when it gives up on a request mid-body.
    public func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Hangs up both ways at once, as a closed browser tab does.
    public func disconnect() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Waits up to `timeout` for the server to write something or close; true if it did. Lets a test send
    /// slowly and still notice the server's answer the moment it comes, rather than sleeping blind. A false
    /// is checked again as the caller resumes, which on a busy machine can be well after the timeout: a test
    /// that sends when told nothing came must not send after the server has answered and closed.
    public func waitForInput(timeout: Duration) async -> Bool {
        guard buffer.isEmpty else { return true }
        if hasInputNow { return true }
        if await SocketWaiter.shared.wait(for: descriptor, events: Int16(POLLIN), until: .now + timeout) { return true }
        return hasInputNow
    }

    private var hasInputNow: Bool {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, 0) > 0
    }

    /// True when the server closed the connection (EOF) before anything else arrived; waits for that up
    /// to the client's timeout. A reset is not a close (the server must end the connection cleanly, or its
    /// answer may be lost) unless `acceptingReset`: for a client that was still sending when the server
    /// gave up on it, whose unread bytes make the kernel reset the connection the server closed.
    public func isClosedByServer(acceptingReset: Bool = false) async -> Bool {
        guard buffer.isEmpty else { return false }
        guard let count = try? await receive(resetIsEnd: acceptingReset) else { return false }
        return count == 0 && buffer.isEmpty
    }

    public func readToEnd() async throws -> [UInt8] {
        while try await receive() > 0 {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// What has arrived and not been read yet, or else the next bytes the server sends; empty once the
    /// server has closed. For readers of responses that never end (server-sent events).
    public func readSome() async throws -> [UInt8] {
        if buffer.isEmpty { _ = try await receive() }
        defer { buffer.removeAll() }
        return buffer
    }

    private func readUntil(_ marker: [UInt8]) async throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                for index in searchFrom...(buffer.count - marker.count) where buffer[index..<index + marker.count].elementsEqual(marker) {
                    return index
                }
                searchFrom = buffer.count - marker.count + 1
            }
            guard try await receive() > 0 else { throw TestClientError.closed(String(decoding: buffer, as: UTF8.self)) }
        }
    }

    private func fill(_ count: Int) async throws {
        while buffer.count < count {
            guard try await receive() > 0 else { throw TestClientError.closed(String(decoding: buffer, as: UTF8.self)) }
        }
    }

    /// Appends what the socket has to `buffer`, waiting for it up to the timeout; 0 at the end of the stream
    /// (or, unless `resetIsEnd` is false, a reset).
    private func receive(resetIsEnd: Bool = true) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count >= 0 {
                buffer += chunk[..<count]
                return count
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard await SocketWaiter.shared.wait(for: descriptor, events: Int16(POLLIN), until: deadline) else {
                    throw TestClientError.timedOut
                }
            case ECONNRESET where resetIsEnd:
                return 0
            default:
                throw TestClientError.failed(errno)
            }
        }
    }
}

public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0 == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public enum TestClientError: Error {
    case connectFailed(Int32)
    case malformed(String)
    case closed(String)
    case timedOut
    case failed(Int32)
    /// What router mode can't do: the request needs a socket (`TestMode.live`).
    case routerMode(String)
}

/// Runs `body` against a fresh server on an ephemeral loopback port, then shuts it down; one of `TestSlots`.
public func withServer(
    _ configuration: HTTPServer.Configuration = HTTPServer.Configuration(port: 0, eventLoopCount: 1),
    router: Router,
    _ body: (HTTPServer) async throws -> Void
) async throws {
    try await TestSlots.run { try await runServer(configuration, router: router, body) }
}

private func runServer(
    _ configuration: HTTPServer.Configuration, router: Router, _ body: (HTTPServer) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.port = 0
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let server = try HTTPServer(configuration: configuration, router: router, logger: logger)
    try server.start()
    do {
        try await body(server)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
