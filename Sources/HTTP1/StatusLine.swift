import HTTPTypes

/// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
struct StatusLine {
    var version: HTTPVersion
    var status: HTTPResponse.Status

    init(parsing line: UnsafeBufferPointer<UInt8>) throws(HTTPResponseParseError) {
        guard line.count >= 12, line.starts(with: "HTTP/".utf8), HTTPSyntax.isDigit(line[5]),
            line[6] == UInt8(ascii: "."), HTTPSyntax.isDigit(line[7]), line[8] == HTTPSyntax.space
        else { throw .invalidStatusLine }
        switch (line[5], line[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): version = .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): version = .http1_0
        default: throw .unsupportedVersion
        }
        var code = 0
        for byte in line[9..<12] {
            guard HTTPSyntax.isDigit(byte) else { throw .invalidStatusLine }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard code >= 100 else { throw .invalidStatusLine }
        // RFC 9112 §4 asks for the SP even when the reason is empty, but servers that drop it are
        // common enough, and nothing is ambiguous about a line that simply ends after the code.
        let reason = line.extracting(12...)
        guard reason.isEmpty || reason[0] == HTTPSyntax.space else { throw .invalidStatusLine }
        let phrase = reason.dropFirst()
        guard phrase.allSatisfy(HTTPSyntax.isFieldValueByte) else { throw .invalidStatusLine }
        status = HTTPResponse.Status(code: code, reasonPhrase: String(decoding: phrase, as: UTF8.self))
    }
}
