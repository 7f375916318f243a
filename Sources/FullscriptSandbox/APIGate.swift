import HTTPTypes
import Server
import Foundation

typealias AuthenticatedHandler = @Sendable (Request, SandboxUser) async throws -> Response

/// What every `/api` route goes through: recording, then injected faults; REST routes also need a
/// live bearer token within its rate limit.
struct APIGate: Sendable {
    let state: SandboxState

    func open(_ handler: @escaping Handler) -> Handler {
        { [state] request in
            await state.record(RecordedRequest(
                method: request.method.rawValue, path: String(request.path), query: request.query.map(String.init),
                bearerToken: Self.bearerToken(of: request), body: request.body, requestID: request.id
            ))
            return try await FaultInjection.apply(await state.nextFaults(path: String(request.path)), to: handler, request: request)
        }
    }

    func authenticated(_ handler: @escaping AuthenticatedHandler) -> Handler {
        open { [state] request in
            guard let token = Self.bearerToken(of: request) else { return Self.unauthorized }
            switch await state.admit(accessToken: token) {
            case .admitted(let user):
                return try await handler(request, user)
            case .unauthorized:
                return Self.unauthorized
            case .throttled(let retryAfter):
                var response = Response.jsonError("Too many requests", status: .tooManyRequests)
                response.headerFields[.retryAfter] = String(retryAfter)
                return response
            }
        }
    }

    private static var unauthorized: Response {
        var response = Response.jsonError("unauthorized", status: .unauthorized)
        response.headerFields[.wwwAuthenticate] = "Bearer"
        return response
    }

    static func bearerToken(of request: Request) -> String? {
        guard let value = request.head.headerFields[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
