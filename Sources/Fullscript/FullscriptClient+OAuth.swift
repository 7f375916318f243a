import Foundation
import HTTPTypes

/// The authorization-code flow: consent URL, code exchange, refresh and revoke.
extension FullscriptClient {
    /// The consent page to send the browser to (a top-level navigation, never a fetch). Scopes are
    /// not sent: Fullscript takes them from the app's Dashboard settings.
    public func authorizeURL(state: String) -> String {
        let query = PercentEncoding.query([
            ("client_id", credentials.clientID), ("redirect_uri", credentials.redirectURI),
            ("response_type", "code"), ("state", state),
        ])
        return endpoints.authorizeURL + (endpoints.authorizeURL.contains("?") ? "&" : "?") + query
    }

    /// Trades the one-time code from the callback (valid ten minutes) for tokens.
    public func exchange(code: String) async throws(FullscriptError) -> OAuthToken {
        try await requestToken(["grant_type": "authorization_code", "code": code], previousRefreshToken: nil)
    }

    /// Gets a new access and refresh token. The old refresh token stays valid until the new access
    /// token is first used, so a lost answer may be retried.
    public func refresh(refreshToken: String) async throws(FullscriptError) -> OAuthToken {
        try await requestToken(["grant_type": "refresh_token", "refresh_token": refreshToken], previousRefreshToken: refreshToken)
    }

    /// Ends the grant at Fullscript ("Disconnect").
    public func revoke(token: String) async throws(FullscriptError) {
        var request = APIRequest(.post, "oauth", "revoke", endpoint: "revoke_token", accessToken: nil)
        request.setJSON(["client_id": credentials.clientID, "client_secret": credentials.clientSecret, "token": token])
        request.bodyIsSecret = true
        _ = try await send(request)
    }

    private func requestToken(_ grant: [String: String], previousRefreshToken: String?) async throws(FullscriptError) -> OAuthToken {
        var request = APIRequest(.post, "oauth", "token", endpoint: "request_token", accessToken: nil)
        let identity = ["client_id": credentials.clientID, "client_secret": credentials.clientSecret,
                        "redirect_uri": credentials.redirectURI]
        request.setJSON(identity.merging(grant) { _, grant in grant })
        request.bodyIsSecret = true
        let answer = try await send(request)
        let response = try decode(answer) { body throws in try JSONDecoder().decode(TokenResponse.self, from: Data(body)) }
        guard let token = response.token(receivedAt: Date(), previousRefreshToken: previousRefreshToken) else {
            throw FullscriptError(.malformedResponse("the token response has no refresh_token"), status: answer.status,
                                  requestID: answer.requestID)
        }
        return token
    }
}
