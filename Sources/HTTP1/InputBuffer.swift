#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Bytes received but not yet consumed. Consuming only moves `readIndex`; the dead prefix is
/// reclaimed on the next append, so a long-lived connection doesn't keep growing the storage.
struct InputBuffer {
    /// Capacity kept across messages once everything is consumed. Above it the storage is freed,
    /// so an idle keep-alive connection doesn't pin the memory of its largest past body read.
    private static let retainedCapacity = 32 * 1024

    private var storage: [UInt8] = []
    private var readIndex = 0
    /// Bytes after `readIndex` already known to hold no LF, so a line that trickles in a byte
    /// at a time is searched once rather than once per byte.
    private var scannedCount = 0

    var readableCount: Int { storage.count - readIndex }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        bytes.withMemoryRebound(to: UInt8.self) { storage.append(contentsOf: $0) }
    }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        storage.append(contentsOf: bytes)
    }

    /// Moves the live bytes down only when the dead prefix is at least as large as they are, so
    /// the copying is paid for by the bytes that were consumed.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == storage.count {
            if storage.capacity > Self.retainedCapacity {
                storage = []
            } else {
                storage.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex >= storage.count - readIndex {
            storage.removeSubrange(..<readIndex)
            readIndex = 0
        }
    }

    func byte(at offset: Int) -> UInt8 {
        storage[readIndex + offset]
    }

    /// Offset of the first LF among the readable bytes, or nil if none has arrived yet.
    mutating func firstLineFeed() -> Int? {
        let start = readIndex + scannedCount
        let found = storage.withUnsafeBytes { raw -> Int? in
            guard start < raw.count, let base = raw.baseAddress,
                let hit = memchr(base + start, Int32(HTTPSyntax.lf), raw.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(hit)) - readIndex
        }
        scannedCount = found ?? readableCount
        return found
    }

    /// Length of the first `count` bytes, not counting a final CR: how long the line is so far if
    /// that CR turns out to start its CRLF. Limits use it so that they trigger at the same byte
    /// whether the line arrives whole or a byte at a time.
    func lengthIgnoringTrailingCR(_ count: Int) -> Int {
        count > 0 && byte(at: count - 1) == HTTPSyntax.cr ? count - 1 : count
    }

    /// Length of the line content before the LF at `lineFeed`, which must be preceded by CR.
    /// A bare LF is rejected rather than tolerated (RFC 9112 §2.2 allows either) because a
    /// recipient that accepts it while an intermediary doesn't is a request-smuggling vector.
    func contentLength(ofLineEndingAt lineFeed: Int) throws(HTTPParseError) -> Int {
        guard lineFeed > 0, byte(at: lineFeed - 1) == HTTPSyntax.cr else { throw .invalidLineEnding }
        return lineFeed - 1
    }

    func withReadableBytes<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try storage.withUnsafeBufferPointer { (buffer) throws(Failure) in
            try body(buffer.extracting(readIndex...))
        }
    }

    mutating func consume(_ count: Int) {
        readIndex += count
        scannedCount = max(0, scannedCount - count)
    }

    mutating func read(_ count: Int) -> [UInt8] {
        let bytes = Array(storage[readIndex..<(readIndex + count)])
        consume(count)
        return bytes
    }
}
