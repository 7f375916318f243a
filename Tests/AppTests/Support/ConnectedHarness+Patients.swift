@testable import App
import ServerTesting

extension ConnectedHarness {
    func putPatient(_ id: String, body: String, key: String) async throws -> TestResponse {
        let response = try await self.execute("PUT /api/v1/patients/\(id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return response
    }
}
