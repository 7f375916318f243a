import CoreMetrics
import Metrics
import Synchronization

/// Each endpoint's call counter and latency timer, made once per endpoint and outcome and kept: a factory
/// checks and looks up a metric's labels each time it makes one, which every click paid twice. Endpoints and
/// outcomes are names in this module's code, so the handles kept are bounded.
final class CallMetrics: Sendable {
    private struct Key: Hashable {
        let endpoint: String
        let outcome: String
    }

    private struct Handles: Sendable {
        let calls: Counter
        let duration: Timer
    }

    private let factory: any MetricsFactory
    private let handles = Mutex<[Key: Handles]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func record(endpoint: String, outcome: String, duration: Duration) {
        let key = Key(endpoint: endpoint, outcome: outcome)
        let handles = handles.withLock { handles in
            if let kept = handles[key] { return kept }
            let dimensions = [("endpoint", endpoint), ("outcome", outcome)]
            let made = Handles(calls: Counter(label: FullscriptClient.callsTotal, dimensions: dimensions, factory: factory),
                               duration: Timer(label: FullscriptClient.callDuration, dimensions: dimensions, factory: factory))
            handles[key] = made
            return made
        }
        handles.calls.increment()
        handles.duration.record(duration: duration)
    }
}
