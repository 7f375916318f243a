import Synchronization

/// Counts what a handler saw, from whichever thread it ran on.
final class HitCounter: Sendable {
    private let count = Atomic<Int>(0)

    @discardableResult
    func hit() -> Int { count.add(1, ordering: .relaxed).newValue }

    var value: Int { count.load(ordering: .relaxed) }
}
