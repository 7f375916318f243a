import Foundation
import HTTPTypes
import Server

/// Fullscript's OAuth 2.0 authorization-code flow under `/api/oauth`.
struct OAuthRoutes: Sendable {
    static let scope = "catalog:read clinic:read clinic:write patients:read patients:write patients:treatment_plan_history patients:order_history"

    let configuration: SandboxConfiguration
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/oauth/authorize", gate.open { try await authorize($0) })
        router.post("/api/oauth/authorize/decision", body: .standard, gate.open { try await decide($0) })
        router.post("/api/oauth/token", body: .standard, gate.open { try await token($0) })
        router.post("/api/oauth/revoke", body: .standard, gate.open { try await revoke($0) })
    }

    private func authorize(_ request: Request) async throws -> Response {
        let query = request.queryParameters
        guard let redirectURI = registeredRedirectURI(clientID: query["client_id"], redirectURI: query["redirect_uri"]) else {
            return Pages.notFound
        }
        guard query["response_type"] == "code" else {
            return .redirect(to: FormEncoding.append(withState([("error", "unsupported_response_type")], query["state"]), to: redirectURI))
        }
        if let userID = query["auto_approve"] {
            return try await approve(userID: userID, redirectURI: redirectURI, clientState: query["state"])
        }
        return .html(Pages.authorize(
            clinics: SandboxSeed.clinics, clientID: configuration.clientID, redirectURI: redirectURI, state: query["state"]
        ))
    }

    private func decide(_ request: Request) async throws -> Response {
        let form = request.formParameters
        guard let redirectURI = registeredRedirectURI(clientID: form["client_id"], redirectURI: form["redirect_uri"]) else {
            return Pages.notFound
        }
        guard form["decision"] == "approve" else {
            return .redirect(to: FormEncoding.append(withState([("error", "access_denied")], form["state"]), to: redirectURI))
        }
        guard let userID = form["user_id"], !userID.isEmpty else {
            return .html(Pages.authorize(
                clinics: SandboxSeed.clinics, clientID: configuration.clientID, redirectURI: redirectURI, state: form["state"],
                error: "Choose the account to sign in as, then approve again."
            ), status: .badRequest)
        }
        return try await approve(userID: userID, redirectURI: redirectURI, clientState: form["state"])
    }

    private func approve(userID: String, redirectURI: String, clientState: String?) async throws -> Response {
        guard SandboxSeed.user(id: userID) != nil else { throw HTTPError(.badRequest, "Unknown sandbox user \(userID)") }
        let code = await state.issueCode(for: userID, redirectURI: redirectURI)
        return .redirect(to: FormEncoding.append(withState([("code", code)], clientState), to: redirectURI))
    }

    /// Fullscript answers 404 unless the client is known and redirect_uri matches a registered one exactly.
    private func registeredRedirectURI(clientID: String?, redirectURI: String?) -> String? {
        guard clientID == configuration.clientID, let redirectURI, configuration.redirectURIs.contains(redirectURI) else { return nil }
        return redirectURI
    }

    private func withState(_ fields: [(String, String)], _ clientState: String?) -> [(String, String)] {
        fields + (clientState.map { [("state", $0)] } ?? [])
    }

    private func token(_ request: Request) async throws -> Response {
        let fields = Self.fields(of: request)
        guard isClient(fields) else { return .jsonError("invalid_client", status: .unauthorized) }
        switch fields["grant_type"] {
        case "authorization_code":
            guard let code = fields["code"] else { return Self.invalidGrant("code is missing.") }
            switch await state.redeemCode(code, redirectURI: fields["redirect_uri"]) {
            case .granted(let grant): return tokenResponse(grant)
            case .rejected(let reason): return Self.invalidGrant(reason)
            }
        case "refresh_token":
            // redirect_uri is in the documented refresh body, but clients that leave it out work too.
            guard let refreshToken = fields["refresh_token"], let grant = await state.refresh(refreshToken) else {
                return Self.invalidGrant("The refresh token is invalid or was revoked.")
            }
            return tokenResponse(grant)
        default:
            return .json(.object([("error", .string("unsupported_grant_type"))]), status: .badRequest)
        }
    }

    private func revoke(_ request: Request) async throws -> Response {
        let fields = Self.fields(of: request)
        guard isClient(fields) else { return .jsonError("invalid_client", status: .unauthorized) }
        if let token = fields["token"] {
            await state.revoke(token)
        }
        return .json(.object([]))
    }

    private func isClient(_ fields: [String: String]) -> Bool {
        fields["client_id"] == configuration.clientID && fields["client_secret"] == configuration.clientSecret
    }

    private func tokenResponse(_ grant: TokenLedger.Grant) -> Response {
        let type = SandboxSeed.user(id: grant.userID)?.type ?? SandboxUser.practitioner
        var response = Response.json(.object([("oauth", .object([
            ("access_token", .string(grant.accessToken)),
            ("token_type", .string("Bearer")),
            ("expires_in", .int(configuration.accessTokenLifetime)),
            ("refresh_token", .string(grant.refreshToken)),
            ("scope", .string(Self.scope)),
            ("created_at", .string(Timestamp.iso(grant.createdAt))),
            ("resource_owner", .object([("id", .string(grant.userID)), ("type", .string(type))])),
        ]))]))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    private static func invalidGrant(_ description: String) -> Response {
        .json(.object([("error", .string("invalid_grant")), ("error_description", .string(description))]), status: .badRequest)
    }

    /// JSON is documented; form encoding is what most OAuth clients send, so both are read.
    private static func fields(of request: Request) -> [String: String] {
        if request.head.headerFields[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            return request.formParameters
        }
        guard case .object(let members) = JSON.parse(request.body) else { return [:] }
        return Dictionary(members.compactMap { key, value in value.text.map { (key, $0) } }, uniquingKeysWith: { $1 })
    }
}
