import Server
import ServerTesting
import Testing

/// What the server does with a request body before any handler sees it: refuses it unread when no route
/// would take it, holds it to its route's limit and to the server-wide budget.
extension HTTPServerTests {
    /// The body of a request no route takes is never read: the answer is known from the head. Reading it
    /// would let anyone make the server buffer a body for any path. Timeouts are long here (30 s), so a server
    /// that waited for the body would miss the client's 20 s read timeout and the 15 s bound.
    @Test func answersARequestWithABodyForNoRouteAtOnceWithoutReadingIt() async throws {
        let cases: [(String, Int)] = [
            ("POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 404),
            ("POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 404),
            ("PUT /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", 404),
            ("DELETE /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 405),
        ]
        try await withServer(Self.shortTimeouts(), router: Self.echoRouter) { server in
            for (request, status) in cases {
                let client = try await TestClient(port: server.port, timeoutSeconds: 20)
                let start = ContinuousClock.now
                await client.send(request)
                let response = try await client.readResponse()
                #expect(response.status == status, "\(request.prefix(40))")
                #expect(response.header("connection") == "close")
                #expect(response.text == (status == 404 ? "Not Found" : "Method Not Allowed"))
                if status == 405 { #expect(response.header("allow") == "GET, HEAD") }
                #expect(await client.isClosedByServer())
                #expect(ContinuousClock.now - start < .seconds(15))
            }
            // Without a body nothing changes: the 404 keeps the connection.
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            await client.send("POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 404)
            #expect(response.header("connection") == nil)
        }
    }

    /// The route's limit decides before any body byte is read, even far below the server default.
    @Test func aRouteThatTakesNoBodyRefusesADeclaredOneBeforeReadingIt() async throws {
        let router = Self.echoRouter
        router.post("/nobody") { _ in .text("never") }
        try await withServer(Self.shortTimeouts(), router: router) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            let start = ContinuousClock.now
            await client.send("POST /nobody HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("connection") == "close")
            #expect(await client.isClosedByServer())
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    /// Past the server-wide budget a request is refused 503 whichever way its body is framed, and every way a
    /// request ends (answered, refused, its client gone mid-body) gives back what it held: the last request
    /// needs the whole budget.
    @Test func refusesBodiesBeyondTheServerWideBudgetAndReleasesWhatWasHeld() async throws {
        var configuration = Self.shortTimeouts()
        configuration.maxBufferedBodyBytes = 100
        try await withServer(configuration, router: Self.echoRouter) { server in
            // Holds 80 of the 100 from its head on; the 100 Continue shows the head was taken.
            let holder = try await TestClient(port: server.port, timeoutSeconds: 20)
            await holder.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await holder.readResponse().status == 100)

            let declared = try await TestClient(port: server.port, timeoutSeconds: 20)
            await declared.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n")
            try await expectBusy(declared)

            // A chunked body is counted as it arrives: the first 10 bytes fit, the next 20 do not.
            let chunked = try await TestClient(port: server.port, timeoutSeconds: 20)
            await chunked.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n")
            await chunked.send("14\r\n" + String(repeating: "c", count: 20) + "\r\n0\r\n\r\n")
            try await expectBusy(chunked)

            // 20 fit only if the refused chunked request gave its 10 back; twice, so the first gave its 20 back.
            let small = try await TestClient(port: server.port, timeoutSeconds: 20)
            for _ in 0..<2 {
                await small.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n" + String(repeating: "s", count: 20))
                #expect(try await small.readResponse().status == 200)
            }

            await holder.send(String(repeating: "h", count: 80))
            #expect(try await holder.readResponse().text.count == 80)

            // A client that gives up mid-body: its connection closes, and its reservation with it.
            let quitter = try await TestClient(port: server.port, timeoutSeconds: 20)
            await quitter.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await quitter.readResponse().status == 100)
            await quitter.send("abc")
            quitter.shutdownWrite()
            #expect(await quitter.isClosedByServer())

            let whole = try await TestClient(port: server.port, timeoutSeconds: 20)
            await whole.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "w", count: 100))
            let response = try await whole.readResponse()
            #expect(response.status == 200, "the whole budget is free again")
            #expect(response.text.count == 100)
        }
    }

    private func expectBusy(_ client: TestClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await client.readResponse()
        #expect(response.status == 503, sourceLocation: sourceLocation)
        #expect(response.header("retry-after") == "1", sourceLocation: sourceLocation)
        #expect(response.header("connection") == "close", sourceLocation: sourceLocation)
        #expect(await client.isClosedByServer(), sourceLocation: sourceLocation)
    }
}
