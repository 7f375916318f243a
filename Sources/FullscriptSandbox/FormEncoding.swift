import Server

/// Appends a query to the redirect URIs the sandbox answers with; reading them is
/// `Request.formParameters` / `queryParameters` in Server.
enum FormEncoding {
    /// The URI may already carry a query, as a registered redirect_uri may.
    static func append(_ fields: [(String, String)], to uri: String) -> String {
        uri + (uri.contains("?") ? "&" : "?") + FormURLEncoding.encode(fields)
    }
}
