import HTTPTypes

/// Writes a field section the same way for requests and responses: each field as
/// "Name: value" CRLF, then the empty line that ends the head.
enum FieldSectionWriter {
    static func write(_ fields: HTTPFields, into buffer: inout [UInt8]) {
        for field in fields {
            writeLine(name: field.name.rawName, into: &buffer) { buffer in
                field.withUnsafeBytesOfValue { buffer.append(contentsOf: $0) }
            }
        }
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
    }

    static func writeLine(name: String, into buffer: inout [UInt8], value: (inout [UInt8]) -> Void) {
        buffer.append(contentsOf: name.utf8)
        buffer.append(HTTPSyntax.colon)
        buffer.append(HTTPSyntax.space)
        value(&buffer)
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
    }
}
