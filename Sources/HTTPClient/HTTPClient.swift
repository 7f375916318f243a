public import HTTPTypes
import Locking
public import Logging
import Reactor
import Synchronization

/// An HTTP/1.1 client over non-blocking sockets on one event loop thread of its own, with TLS
/// from the system OpenSSL and a keep-alive pool per origin. Requests suspend on continuations
/// resumed from the loop, so no thread waits per request.
public final class HTTPClient: Sendable {
    private let configuration: HTTPClientConfiguration
    private let logger: Logger
    private let thread: EventLoopThread
    /// Confined to the loop; every use is a closure run there.
    private let pool: LoopBound<ConnectionPool>
    private let counters = ClientCounters()
    /// Taken while handing work to the loop, so that nothing is queued after `shutdown` has
    /// drained the pool and stopped the loop: such work would never run and its caller never resume.
    private let accepting = PThreadMutex(true)

    /// Loads the trust store once; throws `HTTPClientError.tlsFailed` when `caFile` can't be read.
    public init(configuration: HTTPClientConfiguration = .init(), logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let tlsContext = try TLSContext(caFile: configuration.caFile)
        thread = try EventLoopThread()
        let pool: ConnectionPool
        do {
            pool = try ConnectionPool(configuration: configuration, tlsContext: tlsContext, loop: thread.loop, counters: counters)
        } catch {
            thread.stopAndJoin()
            throw error
        }
        // Nothing else refers to the new pool, so it can be handed to the loop from here.
        let bound = LoopBound(transferring: pool, to: thread.loop)
        self.pool = bound
        let logger = logger
        thread.loop.execute {
            do {
                try bound.value.start()
            } catch {
                logger.critical("HTTP client cannot register its pool", metadata: ["error": "\(error)"])
            }
        }
    }

    /// TLS handshakes completed so far.
    public var handshakeCount: Int { counters.handshakes.load(ordering: .relaxed) }

    public var connectionsOpened: Int { counters.connectionsOpened.load(ordering: .relaxed) }

    /// Sends one request (scheme, authority and path of `request` give the origin) and reads the
    /// whole response. `deadline` bounds everything, retries included. Only GET and HEAD are
    /// retried, on connect failure, on a reused connection closed before any response byte, and
    /// on 429/502/503/504 (honouring Retry-After seconds that fit in the deadline); a POST that
    /// may have created a patient is never repeated.
    public func execute(
        _ request: HTTPRequest,
        body: [UInt8]? = nil,
        deadline: Duration
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        let origin = try Origin(of: request, allowPlainHTTPToLoopback: configuration.allowPlainHTTPToLoopback)
        let started = MonotonicClock.now()
        let end = started + deadline.nanoseconds
        let bytes = RequestSerializer.serialize(request, body: body)
        let isIdempotent = request.method == .get || request.method == .head
        var attempt = 1
        while true {
            let attemptStarted = MonotonicClock.now()
            let outcome = await send(Exchange.Template(origin: origin, method: request.method, requestBytes: bytes, deadline: end))
            log(request, origin: origin, outcome: outcome, attempt: attempt, since: attemptStarted)
            let retryDelay: Duration?
            switch outcome {
            case .response(let response):
                guard isIdempotent, Self.retryableStatuses.contains(response.head.status.code) else { return response }
                retryDelay = Self.retryAfter(response.head) ?? configuration.retry.delay(afterFailures: attempt)
                guard attempt < configuration.retry.maxAttempts, Self.fits(retryDelay, before: end) else { return response }
            case .failure(let error, let retryable):
                guard isIdempotent, retryable, attempt < configuration.retry.maxAttempts else { throw error }
                retryDelay = configuration.retry.delay(afterFailures: attempt)
                guard Self.fits(retryDelay, before: end) else { throw error }
            }
            if let retryDelay, retryDelay > .zero {
                try? await Task.sleep(for: retryDelay)
            }
            attempt += 1
        }
    }

    private static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// Retry-After as delay-seconds (RFC 9110 §10.2.3); the HTTP-date form is not worth a date parser here.
    private static func retryAfter(_ head: HTTPResponse) -> Duration? {
        guard let value = head.headerFields[.retryAfter], let seconds = Int(value), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    private static func fits(_ delay: Duration?, before end: UInt64) -> Bool {
        MonotonicClock.now() + (delay?.nanoseconds ?? 0) < end
    }

    private func send(_ template: Exchange.Template) async -> AttemptOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<AttemptOutcome, Never>) in
            let pool = pool
            let queued = accepting.withLock { accepting in
                guard accepting else { return false }
                thread.loop.execute {
                    pool.value.submit(template.makeExchange { continuation.resume(returning: $0) })
                }
                return true
            }
            if !queued { continuation.resume(returning: .failure(.shutdown, retryable: false)) }
        }
    }

    /// Fails requests still waiting or in flight with `.shutdown`, closes every connection and
    /// stops the loop thread. Later calls to `execute` fail with `.shutdown` at once.
    public func shutdown() async {
        let wasAccepting = accepting.withLock { accepting in
            defer { accepting = false }
            return accepting
        }
        guard wasAccepting else { return }
        let pool = pool
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            thread.loop.execute {
                pool.value.shutdown()
                continuation.resume()
            }
        }
        thread.stopAndJoin()
    }

    /// Bodies and Authorization never reach the log: they carry patient data and OAuth tokens.
    private func log(_ request: HTTPRequest, origin: Origin, outcome: AttemptOutcome, attempt: Int, since start: UInt64) {
        guard logger.logLevel <= .debug else { return }
        let path = request.path.map { $0.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] } ?? "/"
        let result: String
        switch outcome {
        case .response(let response): result = String(response.head.status.code)
        case .failure(let error, _): result = error.description
        }
        let elapsed = Double(MonotonicClock.now() - start) / 1_000_000
        logger.debug("\(request.method.rawValue) \(origin)\(path) \(result)", metadata: [
            "attempt": "\(attempt)",
            "duration_ms": "\((elapsed * 100).rounded() / 100)",
        ])
    }
}

extension Exchange {
    /// What `execute` knows off the loop; the Exchange itself is made on the loop.
    struct Template: Sendable {
        let origin: Origin
        let method: HTTPRequest.Method
        let requestBytes: [UInt8]
        let deadline: UInt64

        func makeExchange(_ completion: @escaping (AttemptOutcome) -> Void) -> Exchange {
            Exchange(origin: origin, method: method, requestBytes: requestBytes, deadline: deadline, completion: completion)
        }
    }
}
