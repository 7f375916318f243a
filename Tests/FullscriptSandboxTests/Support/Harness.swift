import Foundation
@testable import FullscriptSandbox
import Server
import ServerTesting
import Testing

let callback = "http://127.0.0.1:9999/callback"

/// A sandbox driven with raw HTTP, through its routes (`.router`) or on an ephemeral port (`.live`).
struct Harness {
    let sandbox: FullscriptSandbox
    let transport: TestTransport

    func send(_ method: String, _ target: String, body: String? = nil, token: String? = nil,
              contentType: String = "application/json") async throws -> TestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: sandbox.test\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        return try await transport.execute(head + "\r\n" + (body ?? ""))
    }

    /// The code from an auto-approved authorize redirect.
    func code(for userID: String, state: String = "xyz") async throws -> String {
        let response = try await send("GET", "/api/oauth/authorize?client_id=sandbox-client&redirect_uri=\(escaped(callback))&response_type=code&state=\(state)&auto_approve=\(userID)")
        let location = try #require(response.header("location"))
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    /// The `oauth` object of a code exchange.
    func connect(_ userID: String) async throws -> JSON {
        let code = try await code(for: userID)
        let response = try await send("POST", "/api/oauth/token", body: """
            {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret","code":"\(code)","redirect_uri":"\(callback)"}
            """)
        #expect(response.status == 200)
        return try #require(json(response)["oauth"])
    }

    func accessToken(_ userID: String) async throws -> String {
        try await #require(connect(userID)["access_token"]?.text)
    }

    func json(_ response: TestResponse) throws -> JSON {
        try #require(JSON.parse(response.body), "not JSON: \(response.text)")
    }

    /// A draft link for pat-1 as prac-1; answers the plan page's path.
    func draftPlanPath(token: String) async throws -> String {
        let response = try await send("POST", "/api/clinic/dynamic_links/treatment_plans", body: """
            {"treatment_plan":{"practitioner_id":"prac-1"},"patient":{"email":"drew.okafor@patient.example"}}
            """, token: token)
        let url = try #require(json(response)["dynamic_links"]?["redirect_url"]?.text)
        return try #require(URLComponents(string: url)?.path)
    }
}

func escaped(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
}

func withSandbox(
    mode: TestMode = .router,
    configure: (inout SandboxConfiguration) -> Void = { _ in },
    webhookSender: WebhookSender? = nil,
    _ body: (Harness) async throws -> Void
) async throws {
    var configuration = SandboxConfiguration(redirectURIs: [callback], publicBaseURL: "http://sandbox.test")
    configure(&configuration)
    let sandbox = FullscriptSandbox(configuration: configuration, webhookSender: webhookSender)
    let router = Router()
    sandbox.register(on: router)
    switch mode {
    case .router:
        try await body(Harness(sandbox: sandbox, transport: .router(router.table())))
    case .live:
        try await withServer(router: router) { server in
            try await body(Harness(sandbox: sandbox, transport: .live(port: server.port)))
        }
    }
}

/// A sandbox whose webhooks go to `recorder` (at `http://app.test/webhooks/fullscript`), which acknowledges each.
func withRecordedWebhooks(_ recorder: WebhookRecorder, _ body: (Harness) async throws -> Void) async throws {
    try await withSandbox(
        configure: { $0.webhookURL = "http://app.test/webhooks/fullscript" },
        webhookSender: { url, headers, body in await recorder.receive(url: url, headers: headers, body: body) },
        body
    )
}

