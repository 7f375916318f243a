/// Bounds on what a single request may make the decoder buffer or accept.
///
/// Each limit maps to the status that tells the client which part was too big, so a
/// well-behaved client can tell a long URL (414) from bulky headers (431) from a large body (413).
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, excluding its CRLF. Leading empty lines count against it too.
    public var maxRequestLineLength: Int
    /// Most bytes in the header section, line endings and the final empty line included.
    /// A chunked body's trailer section gets a budget of the same size.
    public var maxHeaderSectionSize: Int
    /// Most field lines in the header section, and separately in the trailer section.
    public var maxHeaderFieldCount: Int
    /// Body limit each request starts with; `HTTPRequestDecoder.bodyLimit` overrides it per request.
    /// Small by default (16 KiB): a route that takes more says so, so a forgotten limit errs on the side
    /// of refusing a body rather than buffering a megabyte for any handler.
    public var maxBodySize: Int

    public init(
        maxRequestLineLength: Int = 8192,
        maxHeaderSectionSize: Int = 16384,
        maxHeaderFieldCount: Int = 100,
        maxBodySize: Int = 16 * 1024
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderSectionSize = maxHeaderSectionSize
        self.maxHeaderFieldCount = maxHeaderFieldCount
        self.maxBodySize = maxBodySize
    }
}
