/// Writes a streamed response body. A write waits while the client is slow to read
/// (bounded buffering) and throws `ConnectionClosed` once the client has gone.
public struct ResponseBodyWriter: Sendable {
    let sink: @Sendable ([UInt8]) async throws -> Void

    public init(sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.sink = sink
    }

    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await sink(bytes)
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

public struct ConnectionClosed: Error, Sendable {}
