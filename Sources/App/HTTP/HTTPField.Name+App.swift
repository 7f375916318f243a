import HTTPTypes

/// The header fields this application reads or writes that swift-http-types does not name.
extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let origin = HTTPField.Name("Origin")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
