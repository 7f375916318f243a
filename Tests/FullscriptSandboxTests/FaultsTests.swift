import Foundation
@testable import FullscriptSandbox
import ServerTesting
import Testing

struct FaultsTests {
    @Test func statusFaultAppliesToTheNextCountRequests() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            await sandbox.sandbox.setFaults([.status(503)], count: 1)
            let failed = try await sandbox.send("GET", "/api/clinic", token: token)
            #expect(failed.status == 503)
            #expect(try sandbox.json(failed)["error"] != nil)
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
        }
    }

    @Test func latencyDelaysThenAnswers() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            await sandbox.sandbox.setFaults([.latency(.milliseconds(150))])
            let start = ContinuousClock.now
            #expect(try await sandbox.send("GET", "/api/clinic", token: token).status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            await sandbox.sandbox.clearFaults()
        }
    }

    @Test func malformedJSONIsATruncated200() async throws {
        try await withSandbox { sandbox in
            let token = try await sandbox.accessToken("prac-1")
            await sandbox.sandbox.setFaults([.malformedJSON], count: 1)
            let response = try await sandbox.send("GET", "/api/clinic", token: token)
            #expect(response.status == 200)
            #expect(response.text.hasPrefix(#"{"clinic":"#))
            #expect(JSON.parse(response.body) == nil)
        }
    }

    @Test func closeConnectionDropsMidResponse() async throws {
        // A dropped connection is the wire's business: live.
        try await withSandbox(mode: .live) { sandbox async throws in
            await sandbox.sandbox.setFaults([.closeConnection], count: 1)
            await #expect(throws: TestClientError.self) { try await sandbox.send("GET", "/api/clinic") }
            #expect(try await sandbox.send("GET", "/api/clinic").status == 401)
        }
    }
}
