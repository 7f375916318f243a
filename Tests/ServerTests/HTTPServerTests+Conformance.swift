import Server
import ServerTesting
import Testing

/// Requests that are not for an origin server, or not HTTP at all, as a client sees them refused.
extension HTTPServerTests {
    /// The start of a TLS ClientHello (a handshake record, TLS 1.0 record version, then a handshake body
    /// without any LF). Its first byte can't begin a method, so it is refused without waiting for a line end
    /// that a TLS client will never send.
    @Test func aTLSHandshakeOnThePlainPortIsRefusedAtOnce() async throws {
        var hello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        hello += (0..<32).map { UInt8(truncatingIfNeeded: 0x20 + $0 * 7) }
        hello += [0x20] + (0..<32).map { UInt8(truncatingIfNeeded: 0x80 + $0) } + [0x00, 0x3E, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01]
        #expect(!hello.contains(0x0A))
        try await withServer(Self.shortTimeouts(header: .seconds(30)), router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            let start = ContinuousClock.now
            await client.send(hello)
            let response = try await client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("connection") == "close")
            #expect(await client.isClosedByServer())
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    /// An origin server does not tunnel: CONNECT is not implemented here, whatever routes exist (it was a
    /// 404, or a 405 once "/" had a route).
    @Test func answersConnectWith501AndCloses() async throws {
        let withRoot = Self.echoRouter
        withRoot.get("/") { _ in .text("root") }
        for router in [Self.echoRouter, withRoot] {
            try await withServer(router: router) { server in
                let client = try await TestClient(port: server.port, timeoutSeconds: 20)
                await client.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.status == 501)
                #expect(response.header("connection") == "close")
                #expect(response.header("date") != nil)
                #expect(response.header("allow") == nil)
                #expect(await client.isClosedByServer())
            }
        }
    }

    /// "GET HTTP/1.1" is a request line that lost its target, not an HTTP/0.9 request for "HTTP/1.1".
    @Test func aRequestLineWithoutATargetIsABadRequest() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            await client.send("GET HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("connection") == "close")
            #expect(await client.isClosedByServer())
        }
    }
}
