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
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            // Sent from another task while this one reads, so neither side waits on the other's buffers.
            let sending = client.sender
            let sender = Task { await sending.send(bytes) }
            var answered = 0
            while answered < count {
                let response = try await client.readResponse()
                guard response.status == 404 else { break }
                answered += 1
            }
            await sender.value
            #expect(answered == count)
            // And the server is still there.
            let next = try await TestClient(port: server.port, timeoutSeconds: 20)
            await next.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await next.readResponse().text == "hello")
        }
    }
}
