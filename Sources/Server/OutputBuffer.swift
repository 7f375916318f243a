import Glibc

/// Bytes written to a connection's socket as fast as it takes them; what it won't take yet waits here for
/// EPOLLOUT. Lives as long as the connection, so its storage is reused from one answer to the next.
struct OutputBuffer {
    enum Progress {
        /// Everything is in the kernel.
        case done
        /// The socket is full: wait for EPOLLOUT.
        case wouldBlock
        /// The client is gone.
        case failed
    }

    /// Storage beyond this is given back once written, so one large answer doesn't pin memory for the life of
    /// a kept-alive connection; it is also how far a stream may run ahead of its client.
    static let highWater = 65_536

    private var bytes: [UInt8] = []
    private var sent = 0

    /// Written but not yet taken by the kernel.
    var unsentCount: Int { bytes.count - sent }

    mutating func append(_ more: some Collection<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// For an encoder that writes into an array (`HTTPResponseEncoder`).
    mutating func append(encoding encode: (inout [UInt8]) -> Void) {
        encode(&bytes)
    }

    /// `more`: a file follows at once (MSG_MORE), so the head and the file's first bytes share a segment.
    mutating func write(to descriptor: Int32, more: Bool) -> Progress {
        while sent < bytes.count {
            let flags = Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0)
            let count = bytes.withUnsafeBytes { bytes in
                Glibc.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, flags)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed
            }
            sent += count
        }
        bytes.removeAll(keepingCapacity: bytes.capacity <= Self.highWater)
        sent = 0
        return .done
    }

    /// Between requests: storage a large answer grew is not kept for the next.
    mutating func shrinkIfLarge() {
        if bytes.capacity > Self.highWater { bytes = [] }
    }
}
