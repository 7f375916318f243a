/// A value that belongs to one event loop, carried through code that runs elsewhere (a task's closure, a
/// resolver queue) and opened only back on that loop. What lets a loop-confined class stay non-`Sendable`
/// while a reference to it rides in a `@Sendable` closure; after swift-nio's `NIOLoopBound`.
///
/// The check on `value` is `EventLoop.assertInEventLoop`: a trap in a debug build, nothing in a release
/// build, where this is as unchecked as the `@unchecked Sendable` it replaces.
public struct LoopBound<Value>: @unchecked Sendable {
    // Unchecked: `wrapped` is read only through `value`, which asserts it is on `loop`, and is never written.
    public let loop: EventLoop
    @usableFromInline let wrapped: Value

    /// Binds a value the loop already owns: only on the loop, else a non-Sendable value could be smuggled
    /// onto it from another thread.
    @inlinable
    public init(_ value: Value, loop: EventLoop) {
        loop.assertInEventLoop()
        self.loop = loop
        wrapped = value
    }

    /// Binds a value made off the loop that nothing else refers to (`sending` proves it), so from here on
    /// only the loop can reach it.
    @inlinable
    public init(transferring value: sending Value, to loop: EventLoop) {
        self.loop = loop
        wrapped = value
    }

    @inlinable
    public var value: Value {
        loop.assertInEventLoop()
        return wrapped
    }
}
