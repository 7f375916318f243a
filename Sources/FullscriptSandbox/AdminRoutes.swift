import HTTPTypes
import Server

/// The test hooks over HTTP, for tests and tools in another process. Loopback only: they expose
/// request bodies (client secrets, refresh tokens) and can break the sandbox for everyone.
struct AdminRoutes: Sendable {
    let state: SandboxState

    func register(on router: Router) {
        router.get("/_sandbox/requests", loopbackOnly { _ in
            .json(.array(await state.requests.map(Self.redactedJSON)))
        })
        router.get("/_sandbox/emails", loopbackOnly { _ in
            .json(.array(await state.emails.map { .object([("to", .string($0.to)), ("patient_id", .string($0.patientID))]) }))
        })
        router.get("/_sandbox/stats", loopbackOnly { _ in
            .json(.object([("token_refresh_count", .int(await state.refreshCount))]))
        })
        // A patient as the simulator holds it now, whatever clinic: what a test in another process
        // compares with what the app pushed.
        router.get("/_sandbox/patients/:id", loopbackOnly { request in
            let id = request.parameters["id"] ?? ""
            guard let patient = await state.records(holdingPatient: id)?.patient(id: id) else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("patient", patient.json)]))
        })
        router.post("/_sandbox/faults", body: .standard, loopbackOnly { try await setFaults($0) })
        router.delete("/_sandbox/faults", loopbackOnly { _ in
            await state.setFaults([], count: nil)
            return Response(status: .noContent)
        })
        router.post("/_sandbox/clock", body: .standard, loopbackOnly { request in
            guard let seconds = request.queryParameters["advance"].flatMap({ Int($0) }) else {
                return .jsonError("advance=<seconds> is required", status: .badRequest)
            }
            await state.advanceClock(by: seconds)
            return Response(status: .noContent)
        })
        router.post("/_sandbox/users/:id/revoke_tokens", body: .standard, loopbackOnly { request in
            await state.revokeAllTokens(ofUser: request.parameters["id"] ?? "")
            return Response(status: .noContent)
        })
    }

    /// Body: `[{"latency_ms":150}, {"status":503}, {"close_connection":true}, {"malformed_json":true}]`;
    /// `?count=N` limits them to the next N `/api` requests, `?path_prefix=/api/clinic/patients/` to
    /// requests whose path starts with it.
    private func setFaults(_ request: Request) async throws -> Response {
        guard case .array(let entries) = JSON.parse(request.body) else {
            return .jsonError("The body must be a JSON array of faults", status: .badRequest)
        }
        var faults: [Fault] = []
        for entry in entries {
            guard let fault = Self.fault(entry) else { return .jsonError("Unknown fault \(entry.serialized)", status: .badRequest) }
            faults.append(fault)
        }
        let count = request.queryParameters["count"].flatMap { Int($0) }
        await state.setFaults(faults, count: count, pathPrefix: request.queryParameters["path_prefix"])
        return Response(status: .noContent)
    }

    private static func fault(_ entry: JSON) -> Fault? {
        if case .int(let milliseconds)? = entry["latency_ms"] { return .latency(.milliseconds(milliseconds)) }
        if case .int(let status)? = entry["status"], (100...599).contains(status) { return .status(status) }
        if case .bool(true)? = entry["close_connection"] { return .closeConnection }
        if case .bool(true)? = entry["malformed_json"] { return .malformedJSON }
        return nil
    }

    private static func redactedJSON(_ request: RecordedRequest) -> JSON {
        .object([
            ("method", .string(request.method)), ("path", .string(request.path)), ("query", .optional(request.query)),
            ("bearer_token", request.bearerToken == nil ? .null : .string("[redacted]")),
            ("body", .string(String(decoding: request.body, as: UTF8.self))), ("request_id", .string(request.requestID)),
        ])
    }

    private func loopbackOnly(_ handler: @escaping Handler) -> Handler {
        { request in
            guard Self.isLoopback(request.remoteAddress) else { return .jsonError("forbidden", status: .forbidden) }
            return try await handler(request)
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
