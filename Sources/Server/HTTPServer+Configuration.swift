import Glibc
import HTTP1

extension HTTPServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var limits: HTTPLimits
        /// From the first byte of a request to the end of its head: cuts off clients that dribble headers.
        public var headerTimeout: Duration
        /// How long a keep-alive connection may sit between requests.
        public var idleTimeout: Duration
        /// Longest pause while receiving a body or while the client is not reading our response.
        public var progressTimeout: Duration
        /// Beyond this many open connections new ones wait in the kernel's backlog.
        public var maxConnections: Int
        public var eventLoopCount: Int
        /// On shutdown, how long in-flight requests may take before their connections are cut.
        public var shutdownGracePeriod: Duration
        public var backlog: Int32

        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            limits: HTTPLimits = HTTPLimits(),
            headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(75),
            progressTimeout: Duration = .seconds(30),
            maxConnections: Int = 16_384,
            eventLoopCount: Int = HTTPServer.Configuration.defaultEventLoopCount,
            shutdownGracePeriod: Duration = .seconds(10),
            backlog: Int32 = 4096
        ) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.progressTimeout = progressTimeout
            self.maxConnections = maxConnections
            self.eventLoopCount = eventLoopCount
            self.shutdownGracePeriod = shutdownGracePeriod
            self.backlog = backlog
        }

        public static var defaultEventLoopCount: Int {
            max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
    }
}
