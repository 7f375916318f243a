import Glibc
public import HTTP1

extension HTTPServer {
    /// Where the server listens, how long a connection may take over each part of an exchange, and how much
    /// it may make the server hold.
    ///
    /// The timeouts, in the order a connection meets them:
    /// - A new connection has `headerTimeout` from the moment it is accepted to send a complete request head,
    ///   however much of it the parser has already consumed.
    /// - After a response on a keep-alive connection, `idleTimeout` runs until the first byte of the next
    ///   request; from that byte `headerTimeout` runs to the end of its head. Later bytes never re-arm it, so
    ///   a client dribbling its head a field at a time is still cut off.
    /// - From the end of the head, the body has `bodyTimeout` in all, and never more than `progressTimeout`
    ///   between two pieces of it.
    /// - While the client does not read our response, `progressTimeout` bounds each stall.
    ///
    /// When a timeout passes after a byte of a request has arrived (its head or body is late), the client is
    /// answered 408 and the connection closed. A connection on which no request has begun — a new one that
    /// sent nothing, or a keep-alive one between requests — is closed without an answer: there is no
    /// request to answer, and an unsolicited 408 would race a client about to reuse the connection.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var limits: HTTPLimits
        /// From accept (or, on a kept-alive connection, from the first byte of a request) to the end of the
        /// request's head: cuts off clients that connect and wait, or dribble their head.
        public var headerTimeout: Duration
        /// How long a keep-alive connection may sit between the end of a response and the first byte of the
        /// next request.
        public var idleTimeout: Duration
        /// Longest pause while receiving a body or while the client is not reading our response.
        public var progressTimeout: Duration
        /// From the end of a request's head to the end of its body, however steadily it arrives: a client
        /// trickling a byte at a time never stalls long enough for `progressTimeout`, so this bounds it.
        public var bodyTimeout: Duration
        /// Request body bytes all connections together may hold at once (buffered, or promised by a
        /// Content-Length being received). A request that would go past it is answered 503 with
        /// `Retry-After: 1` and its connection closed, so many slow uploads can't exhaust memory even when each
        /// is within its route's limit. Should be at least the largest route body limit, or such bodies are
        /// always refused.
        public var maxBufferedBodyBytes: Int
        /// Beyond this many open connections new ones wait in the kernel's backlog.
        public var maxConnections: Int
        public var eventLoopCount: Int
        /// On shutdown, how long the server goes on serving with its `Readiness` withdrawn before it stops
        /// accepting: long enough for a load balancer's health check to see the readiness route fail and send
        /// traffic elsewhere. Zero when nothing checks readiness (a server behind no load balancer).
        public var shutdownDelay: Duration
        /// On shutdown, once the listeners are closed, how long in-flight requests may take before their
        /// connections are cut.
        public var shutdownGracePeriod: Duration
        public var backlog: Int32

        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            limits: HTTPLimits = HTTPLimits(),
            headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(75),
            progressTimeout: Duration = .seconds(30),
            bodyTimeout: Duration = .seconds(15),
            maxBufferedBodyBytes: Int = 32 << 20,
            maxConnections: Int = 16_384,
            eventLoopCount: Int = HTTPServer.Configuration.defaultEventLoopCount,
            shutdownDelay: Duration = .zero,
            shutdownGracePeriod: Duration = .seconds(10),
            backlog: Int32 = 4096
        ) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.progressTimeout = progressTimeout
            self.bodyTimeout = bodyTimeout
            self.maxBufferedBodyBytes = maxBufferedBodyBytes
            self.maxConnections = maxConnections
            self.eventLoopCount = eventLoopCount
            self.shutdownDelay = shutdownDelay
            self.shutdownGracePeriod = shutdownGracePeriod
            self.backlog = backlog
        }

        public static var defaultEventLoopCount: Int {
            max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
    }
}
