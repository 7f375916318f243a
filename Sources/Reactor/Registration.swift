/// A descriptor's registration on one event loop: the descriptor's number and the registration's own
/// number, which the loop never hands out twice in a row for one descriptor.
///
/// Why: the kernel reuses a closed descriptor's number for the next socket opened. Events are read from
/// epoll in a batch and handled one by one, so a handler early in the batch can close a socket and accept a
/// new one under the same number while an event for the old socket is still waiting further down the batch.
/// Keyed by the number alone, that event would reach the new socket's source (a read on a connection that
/// sent nothing, a hangup that closes a healthy one). The registration number rides in the event's user
/// data beside the descriptor, and an event whose number is not the current one for that descriptor is
/// dropped, as swift-nio's selector does with its registration ids.
public struct Registration: Hashable, Sendable {
    public let descriptor: Int32
    let id: UInt32

    /// The number that marks the loop's own wake-up descriptor; never given to a registration.
    static let wakeID: UInt32 = 0

    init(descriptor: Int32, id: UInt32) {
        self.descriptor = descriptor
        self.id = id
    }

    /// Both numbers in epoll's 64-bit user data: the registration above, the descriptor below.
    var userData: UInt64 {
        UInt64(id) << 32 | UInt64(UInt32(bitPattern: descriptor))
    }

    init(userData: UInt64) {
        self.init(descriptor: Int32(bitPattern: UInt32(truncatingIfNeeded: userData)), id: UInt32(truncatingIfNeeded: userData >> 32))
    }
}
