import Testing

@testable import HTTP1

@Suite struct InputBufferTests {
    @Test func consumingAndCompactingKeepsTheUnreadBytes() {
        var buffer = InputBuffer()
        buffer.append(Array("0123456789".utf8))
        buffer.consume(6)
        #expect(buffer.readableCount == 4)
        buffer.append(Array("ab".utf8))
        #expect(buffer.readableCount == 6)
        #expect(buffer.read(6) == Array("6789ab".utf8))
        #expect(buffer.readableCount == 0)
        buffer.append(Array("xyz".utf8))
        #expect(buffer.byte(at: 0) == UInt8(ascii: "x"))
        #expect(buffer.read(3) == Array("xyz".utf8))
    }

    @Test func lineFeedSearchResumesWhereItStopped() {
        var buffer = InputBuffer()
        buffer.append(Array("abc".utf8))
        #expect(buffer.firstLineFeed() == nil)
        buffer.append(Array("d\r".utf8))
        #expect(buffer.firstLineFeed() == nil)
        buffer.append(Array("\nrest\n".utf8))
        #expect(buffer.firstLineFeed() == 5)
        #expect(buffer.lengthIgnoringTrailingCR(5) == 4)
        #expect(throws: Never.self) { try buffer.contentLength(ofLineEndingAt: 5) }
        buffer.consume(6)
        #expect(buffer.firstLineFeed() == 4)
        #expect(throws: HTTPParseError.invalidLineEnding) { try buffer.contentLength(ofLineEndingAt: 4) }
    }

    @Test func rawBufferAppend() {
        var buffer = InputBuffer()
        Array("raw".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(buffer.read(3) == Array("raw".utf8))
    }

    @Test func scannedBytesSurviveCompaction() {
        var buffer = InputBuffer()
        buffer.append(Array("a\r\nbbbb".utf8))
        #expect(buffer.firstLineFeed() == 2)
        buffer.consume(3)
        #expect(buffer.firstLineFeed() == nil)
        buffer.append(Array("\n".utf8))
        #expect(buffer.firstLineFeed() == 4)
    }
}
