@testable import App
import Foundation
import Server
import ServerTesting
import Store
import Testing

/// An application with one service key; requests go through its routes (`.router`) or over loopback (`.live`).
final class PatientAPIHarness: StoppableHarness {
    let application: Application
    let clock = TestClock()
    let key: String
    let app: TestTransport

    init(mode: TestMode = .router) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("patients-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = try await AppConfig.load(directory: repositoryRoot + "/config", environment: ApplicationTests.environment(directory))
        config.server.shutdownGracePeriod = .seconds(1)
        let clock = clock
        application = try await Application(config: config, logger: ApplicationTests.quietLogger, now: { clock.now() })
        switch mode {
        case .router:
            app = .router(application.server.routes, limits: config.server.limits)
        case .live:
            app = .live(port: application.port)
            try application.start()
        }
        key = try await ServiceKeyStore(database: application.database).create(name: "ehr-sync", tenant: Tenant.defaultID)
    }

    var keys: ServiceKeyStore { ServiceKeyStore(database: application.database) }

    func stop() async {
        await application.shutdown()
    }

    func send(
        _ method: String, _ id: String, body: String? = nil, key: String?? = .none,
        contentType: String? = "application/json", requestID: String? = nil
    ) async throws -> TestResponse {
        try await send(method, path: "/api/v1/patients/\(id)", body: body, key: key, contentType: contentType, requestID: requestID)
    }

    func send(
        _ method: String, path: String, body: String? = nil, key: String?? = .none,
        contentType: String? = "application/json", requestID: String? = nil
    ) async throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\n"
        if let key = key ?? self.key { head += "Authorization: Bearer \(key)\r\n" }
        if let requestID { head += "X-Request-Id: \(requestID)\r\n" }
        if let body {
            if let contentType { head += "Content-Type: \(contentType)\r\n" }
            head += "Content-Length: \(body.utf8.count)\r\n"
        }
        return try await app.execute(head + "\r\n" + (body ?? ""))
    }

    func put(_ id: String, _ body: String) async throws -> TestResponse {
        try await send("PUT", id, body: body)
    }

    func rows(_ sql: String) async throws -> [Row] {
        try await application.database.read { try $0.query(sql) }
    }
}

/// A fresh `PatientAPIHarness` for `body`, stopped before this returns.
func withPatientAPI(mode: TestMode = .router, _ body: (PatientAPIHarness) async throws -> Void) async throws {
    try await withHarness(try await PatientAPIHarness(mode: mode), body)
}
