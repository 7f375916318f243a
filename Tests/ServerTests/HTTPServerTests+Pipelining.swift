import Glibc
import Server
import ServerTesting
import Testing

/// Pipelining as an attacker uses it: many requests in one segment, and a client that does not read.
extension HTTPServerTests {
    /// Requests no route takes are answered without a handler, so nothing asynchronous breaks the chain from
    /// one pipelined request to the next: thousands of them in one read must be answered in a loop, not by
    /// recursing once per request until the loop thread's stack runs out (which takes the server down).
    @Test func answersThousandsOfPipelinedUnroutedRequestsFromOneRead() async throws {
        let request = "X / HTTP/1.1\r\nHost:\r\n\r\n"
        let count = 6_000
        let bytes = Array(String(repeating: request, count: count).utf8)
        try await withServer(Self.shortTimeouts(), router: Self.echoRouter) { server in
            let client = try TestClient(port: server.port, timeoutSeconds: 5)
            let descriptor = client.descriptor
            // Sent from another thread while this one reads, so neither side waits on the other's buffers.
            let sender = Task.detached {
                bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let sent = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                        if sent <= 0 { return }
                        offset += sent
                    }
                }
            }
            var answered = 0
            while answered < count {
                let response = try client.readResponse()
                guard response.status == 404 else { break }
                answered += 1
            }
            await sender.value
            #expect(answered == count)
            // And the server is still there.
            let next = try TestClient(port: server.port, timeoutSeconds: 2)
            next.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try next.readResponse().text == "hello")
        }
    }
}
