import Foundation
@testable import FullscriptSandbox
import Server
import ServerTesting
import Testing

let callback = "http://127.0.0.1:9999/callback"

/// A sandbox on an ephemeral port, driven with raw HTTP.
struct Harness {
    let sandbox: FullscriptSandbox
    let port: Int

    func send(_ method: String, _ target: String, body: String? = nil, token: String? = nil,
              contentType: String = "application/json") throws -> TestResponse {
        let client = try TestClient(port: port)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: sandbox.test\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        client.send(head + "\r\n" + (body ?? ""))
        return try client.readResponse()
    }

    /// The code from an auto-approved authorize redirect.
    func code(for userID: String, state: String = "xyz") throws -> String {
        let response = try send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code&state=\(state)&auto_approve=\(userID)")
        let location = try #require(response.header("location"))
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    /// The `oauth` object of a code exchange.
    func connect(_ userID: String) throws -> JSON {
        let code = try code(for: userID)
        let response = try send("POST", "/api/oauth/token", body: """
            {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret","code":"\(code)","redirect_uri":"\(callback)"}
            """)
        #expect(response.status == 200)
        return try #require(json(response)["oauth"])
    }

    func accessToken(_ userID: String) throws -> String {
        try #require(connect(userID)["access_token"]?.text)
    }

    func json(_ response: TestResponse) throws -> JSON {
        try #require(JSON.parse(response.body), "not JSON: \(response.text)")
    }
}

func escaped(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
}

func withSandbox(
    configure: (inout SandboxConfiguration) -> Void = { _ in },
    webhookSender: WebhookSender? = nil,
    _ body: (Harness) async throws -> Void
) async throws {
    var configuration = SandboxConfiguration(redirectURIs: [callback], publicBaseURL: "http://sandbox.test")
    configure(&configuration)
    let sandbox = FullscriptSandbox(configuration: configuration, webhookSender: webhookSender)
    var router = Router()
    sandbox.register(on: &router)
    try await withServer(router: router) { server in
        try await body(Harness(sandbox: sandbox, port: server.port))
    }
}

extension JSON {
    var array: [JSON] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
