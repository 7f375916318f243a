import App
import ArgumentParser
import Cryptography
import Foundation
import Glibc

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the product against the local Fullscript simulator, on a demo database.",
        discussion: """
            Starts the simulator on --sandbox-port (default 8090) and the server on --port (default 8080), \
            with ./data/demo.sqlite and a token key kept in ./data/demo-token.key. Nothing leaves this machine.
            """
    )

    @OptionGroup var options: ServerOptions
    @Option(help: "Port of the Fullscript simulator.") var sandboxPort = 8090
    @Option(help: "The simulator's requests per access token per 5 minutes (Fullscript's limit unless load testing).")
    var sandboxRateLimit: Int?
    @Flag(help: """
        Use a simulator already running on --sandbox-port (`fullscript-redirect sandbox --public-host localhost \
        --redirect-uri http://HOST:PORT/oauth/fullscript/callback`) instead of starting one in this process, so that \
        this process is the server alone (load tests measure its memory). Its webhooks do not reach this server.
        """)
    var externalSandbox = false

    func run() async throws {
        let host = options.host ?? "127.0.0.1"
        let port = options.port ?? 8080
        // Browsers reach the simulator as `localhost` and us as 127.0.0.1: two sites, as Fullscript
        // and an EHR are, so the demo meets the same cookie rules production does.
        let sandboxURL = "http://localhost:\(sandboxPort)"
        let callback = "http://\(host):\(port)/oauth/fullscript/callback"
        var extra = [
            "fullscript.environment": "custom",
            "fullscript.api_base_url": "http://\(host):\(sandboxPort)/api",
            "fullscript.authorize_url": sandboxURL + "/api/oauth/authorize",
            "fullscript.client_id": "sandbox-client",
            "fullscript.redirect_uri": callback,
            "ehr.demo_sign_in": "true",
            "ehr.chart_url": "/chart.html?patient={patient_id}",
            "fullscript.patient_email_domains": Application.demoPatientEmailDomains,
            // One process, no load balancer polling its /readyz: Ctrl-C stops it at once.
            "http.shutdown_delay_ms": "0",
        ]
        if options.database == nil { extra["database.path"] = "./data/demo.sqlite" }
        // The simulator's client secret and the demo's own token key; the others fresh each start unless
        // the environment names its own (a test that signs webhooks itself).
        var secrets = ["FULLSCRIPT_CLIENT_SECRET": "sandbox-secret", "TOKEN_ENCRYPTION_KEY": try Self.demoKey()]
        let generated = [
            "EHR_LAUNCH_SECRET": Base64URL.encode(SecureRandom.bytes(count: 32)),
            // Shared with the simulator below, which signs and delivers a webhook when a plan is activated.
            "FULLSCRIPT_WEBHOOK_CHALLENGE": Base64URL.encode(SecureRandom.bytes(count: 16)),
            "FULLSCRIPT_WEBHOOK_SECRET": Base64URL.encode(SecureRandom.bytes(count: 32)),
        ]
        let environment = ProcessInfo.processInfo.environment
        for (name, value) in generated where environment[name] == nil && environment[name + "_FILE"] == nil {
            secrets[name] = value
        }
        let (config, logger) = try await options.load(extra: extra, secrets: secrets)
        let application = try await Application(config: config, logger: logger)
        let sandbox = externalSandbox ? nil : try SandboxServer(
            host: host, publicHost: "localhost", port: sandboxPort, redirectURIs: [callback], webhooksTo: application,
            rateLimit: sandboxRateLimit, logger: logger
        )
        let serviceKeys = try await application.seedDemoData()
        print("""
            Demo EHR:  http://\(host):\(application.port)/  (sign in as a user of either practice, open a patient, click Recommend with Fullscript)
            Simulator: \(sandboxURL)/  (Fullscript's sandbox, simulated on this machine)
            """)
        // The first is the default practice's operator key: it also reads /metrics.
        for (index, (practice, key)) in serviceKeys.enumerated() {
            let scope = index == 0 ? "/api/v1 and /metrics (\(practice); an operator key" : "/api/v1 (\(practice)"
            print("Service key for \(scope), valid until the next demo start): \(key)")
        }
        print("Press Ctrl-C to stop.")
        // Piped or under a process manager, stdout is fully buffered: the addresses and the key would
        // appear only when the buffer fills, which it never does.
        fflush(nil)
        // The simulator serves beside the application, and stops after it.
        try await application.run(alongside: sandbox.map { [$0] } ?? [])
    }

    /// A demo keeps its connections across restarts, so its key is kept too (owner-only file).
    private static func demoKey() throws -> String {
        let path = "./data/demo-token.key"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) { return existing }
        try FileManager.default.createDirectory(atPath: "./data", withIntermediateDirectories: true)
        let key = Data(SecureRandom.bytes(count: 32)).base64EncodedString()
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        return key
    }
}
