import Testing

@testable import HTTP1

@Suite struct HTTPSyntaxTests {
    @Test func tokenCharactersMatchRFC9110() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPSyntax.isTokenChar(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func fieldValueBytes() {
        for byte in UInt8.min...UInt8.max {
            let expected = byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80
            #expect(HTTPSyntax.isFieldValueByte(byte) == expected, "byte \(byte)")
            #expect(HTTPSyntax.fieldValueViolation(byte) == (expected ? 0 : 1), "byte \(byte)")
        }
    }

    @Test func hexValues() {
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "0")) == 0)
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "9")) == 9)
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "a")) == 10)
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "F")) == 15)
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "g")) == nil)
        #expect(HTTPSyntax.hexValue(UInt8(ascii: "/")) == nil)
    }

    private func elements(_ value: String) -> [String] {
        var result: [String] = []
        Array(value.utf8).withUnsafeBufferPointer { bytes in
            HTTPSyntax.forEachListElement(in: bytes) { result.append(String(decoding: $0, as: UTF8.self)) }
        }
        return result
    }

    @Test func listElementsAreTrimmedAndEmptyOnesKept() {
        #expect(elements("a") == ["a"])
        #expect(elements(" a ,\tb,c ") == ["a", "b", "c"])
        #expect(elements("a,,b,") == ["a", "", "b", ""])
        #expect(elements("") == [""])
    }

    @Test func listContainsIgnoresCase() {
        Array("Upgrade, KEEP-ALIVE".utf8).withUnsafeBufferPointer { bytes in
            #expect(HTTPSyntax.list(bytes, contains: "keep-alive"))
            #expect(HTTPSyntax.list(bytes, contains: "upgrade"))
            #expect(!HTTPSyntax.list(bytes, contains: "close"))
        }
        Array("keep-alive-ish".utf8).withUnsafeBufferPointer { bytes in
            #expect(!HTTPSyntax.list(bytes, contains: "keep-alive"))
        }
    }
}
