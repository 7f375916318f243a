import Foundation

extension Duration {
    /// For `Date` arithmetic: settings and retry delays are `Duration`s, timestamps `Date`s.
    var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
