import Foundation
import ServerTesting
import Foundation
import FoundationEssentials

/// A loopback reader of a chunked `text/event-stream` response, one block at a time, the way a browser's
/// EventSource would see it. TestClient connects, sends and waits (never blocking a cooperative thread);
/// the decoding is ours, since TestClient reads whole responses and these do not end. Needs a live server.
final class EventStreamReader {
    let client: TestClient
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    /// The head's raw body when the answer is not a stream (a 401 or 429 JSON body).
    private(set) var body = ""
    private var raw: [UInt8] = []
    private var decoded: [UInt8] = []
    private(set) var ended = false

    init(port: Int, target: String, headers extra: [String] = [], timeoutSeconds: Int = 10) async throws {
        client = try await TestClient(port: port, timeoutSeconds: timeoutSeconds)
        await client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n" + extra.map { $0 + "\r\n" }.joined() + "\r\n")
        let end = try await index(of: [13, 10, 13, 10])
        let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        raw.removeFirst(end + 4)
        status = Int(head[0].split(separator: " ")[1]) ?? 0
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            while raw.count < length { try await receive() }
            body = String(decoding: raw.prefix(length), as: UTF8.self)
            ended = true
        }
    }

    /// The next block; throws at the end of the stream or when nothing comes within the timeout.
    func next() async throws -> EventFrame {
        while true {
            if let end = find([10, 10], in: decoded) {
                let block = String(decoding: decoded[..<end], as: UTF8.self)
                decoded.removeFirst(end + 2)
                return EventFrame(fields: block.split(separator: "\n").map { line in
                    guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
                    var value = line[line.index(after: colon)...]
                    if value.first == " " { value = value.dropFirst() }
                    return (String(line[..<colon]), String(value))
                })
            }
            guard !ended else { throw TestClientError.closed(String(decoding: decoded, as: UTF8.self)) }
            try await readChunk()
        }
    }

    /// Waits for the next named event, collecting what came before it; heartbeats keep coming,
    /// so a missing event fails after `limit` rather than never.
    func nextEvent(within limit: Duration = .seconds(10)) async throws -> (event: EventFrame, skipped: [EventFrame]) {
        try await frames(within: limit) { $0.event != nil }
    }

    /// Frames up to and including the next heartbeat: what the stream had to say meanwhile.
    func untilHeartbeat(within limit: Duration = .seconds(10)) async throws -> [EventFrame] {
        let (heartbeat, before) = try await frames(within: limit) { $0.isHeartbeat }
        return before + [heartbeat]
    }

    private func frames(within limit: Duration, until done: (EventFrame) -> Bool) async throws -> (EventFrame, [EventFrame]) {
        let deadline = ContinuousClock.now + limit
        var before: [EventFrame] = []
        while ContinuousClock.now < deadline {
            let frame = try await next()
            if done(frame) { return (frame, before) }
            before.append(frame)
        }
        throw TestClientError.timedOut
    }

    /// Hangs up as a closed tab does.
    func disconnect() {
        client.disconnect()
    }

    private func readChunk() async throws {
        let lineEnd = try await index(of: [13, 10])
        let size = Int(String(decoding: raw[..<lineEnd], as: UTF8.self), radix: 16) ?? 0
        while raw.count < lineEnd + 2 + size + 2 { try await receive() }
        decoded += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
        raw.removeFirst(lineEnd + 2 + size + 2)
        if size == 0 { ended = true }
    }

    private func index(of marker: [UInt8]) async throws -> Int {
        while true {
            if let found = find(marker, in: raw) { return found }
            try await receive()
        }
    }

    private func find(_ marker: [UInt8], in buffer: [UInt8]) -> Int? {
        guard buffer.count >= marker.count else { return nil }
        return (0...(buffer.count - marker.count)).first { buffer[$0..<$0 + marker.count].elementsEqual(marker) }
    }

    private func receive() async throws {
        let bytes = try await client.readSome()
        if bytes.isEmpty { throw TestClientError.closed(String(decoding: raw, as: UTF8.self)) }
        raw += bytes
    }
}
