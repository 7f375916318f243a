import HTTP1
import HTTPTypes
import Testing

@Suite struct ChunkedEncodingTests {
    private func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        HTTPResponseEncoder.writeChunk(bytes, into: &buffer)
        return buffer
    }

    @Test func chunkFraming() {
        #expect(chunk(Array("hello".utf8)) == Array("5\r\nhello\r\n".utf8))
    }

    @Test(arguments: [(1, "1"), (15, "f"), (16, "10"), (255, "ff"), (4096, "1000"), (65535, "ffff"), (1 << 20, "100000")])
    func hexSize(count: Int, hex: String) {
        let data = [UInt8](repeating: 0x61, count: count)
        #expect(chunk(data) == Array("\(hex)\r\n".utf8) + data + Array("\r\n".utf8))
    }

    @Test func emptyChunkWritesNothing() {
        #expect(chunk([]).isEmpty)
    }

    @Test func acceptsAnyCollection() {
        var buffer: [UInt8] = []
        HTTPResponseEncoder.writeChunk("abc".utf8, into: &buffer)
        HTTPResponseEncoder.writeChunk([UInt8](repeating: 0x7A, count: 20)[2..<12], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "3\r\nabc\r\na\r\nzzzzzzzzzz\r\n")
    }

    @Test func lastChunk() {
        var buffer = Array("x".utf8)
        HTTPResponseEncoder.writeLastChunk(into: &buffer)
        #expect(buffer == Array("x0\r\n\r\n".utf8))
    }

    @Test func roundTripsThroughTheDecoder() {
        var body: [UInt8] = Array("POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let pieces: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 0x42, count: 300), [0x00, 0x0D, 0x0A]]
        for piece in pieces {
            HTTPResponseEncoder.writeChunk(piece, into: &body)
        }
        HTTPResponseEncoder.writeLastChunk(into: &body)
        let decoded = decodeBothWays(body)
        #expect(decoded.error == nil)
        #expect(decoded.events.dropFirst() == [.body(Array(pieces.joined())), .end])
    }
}
