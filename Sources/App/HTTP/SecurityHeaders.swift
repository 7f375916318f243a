import Foundation
import HTTPTypes
import Server

/// Headers every answer gets, whatever route or file produced it. Pages may not be framed by
/// anyone (clickjacking a "Connect" or "Cancel" button); scripts and styles come only from us, so
/// markup injected into a page could not run; HTTPS deployments tell browsers to stay on HTTPS.
struct SecurityHeaders: RouterMiddleware {
    let strictTransportSecurity: Bool

    init(publicBaseURL: URL) {
        strictTransportSecurity = publicBaseURL.scheme?.lowercased() == "https"
    }

    /// No inline script or style anywhere: our pages link `/styles.css` and `Public/` scripts.
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        apply(to: &response)
        return response
    }

    /// The server's own answers (no route, wrong method, a body refused from its head, a malformed
    /// request, a handler's failure) never pass through middleware: their renderers, wrapped here,
    /// get the same headers.
    func securing(_ renderError: @escaping ErrorRenderer) -> ErrorRenderer {
        { error, path, requestID in
            var response = renderError(error, path, requestID)
            apply(to: &response)
            return response
        }
    }

    private func apply(to response: inout Response) {
        if response.headerFields[.contentType]?.hasPrefix("text/html") == true {
            response.headerFields[.contentSecurityPolicy] = Self.contentSecurityPolicy
            response.headerFields[.xFrameOptions] = "DENY"
        }
        response.headerFields[.xContentTypeOptions] = "nosniff"
        if strictTransportSecurity {
            response.headerFields[.strictTransportSecurity] = "max-age=31536000"
        }
    }
}
