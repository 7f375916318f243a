import HTTPTypes

/// Field names that typical clients send, in their usual spelling. Reusing these predefined names
/// skips building, validating and lowercasing a new String for most fields of a request.
enum CommonFieldNames {
    static func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> HTTPField.Name? {
        switch bytes.count {
        case 6: match(bytes, .accept) ?? match(bytes, .cookie) ?? match(bytes, .origin) ?? match(bytes, .expect)
        case 7: match(bytes, .referer) ?? match(bytes, .upgrade)
        case 10: match(bytes, .userAgent) ?? match(bytes, .connection)
        case 12: match(bytes, .contentType)
        case 13: match(bytes, .authorization) ?? match(bytes, .cacheControl) ?? match(bytes, .ifNoneMatch)
        case 14: match(bytes, .contentLength)
        case 15: match(bytes, .acceptEncoding) ?? match(bytes, .acceptLanguage)
        case 17: match(bytes, .transferEncoding) ?? match(bytes, .ifModifiedSince)
        default: nil
        }
    }

    @inline(__always)
    private static func match(_ bytes: UnsafeBufferPointer<UInt8>, _ name: HTTPField.Name) -> HTTPField.Name? {
        // The names are literals, so their UTF-8 is contiguous and comparing it is a plain loop.
        let equal = name.rawName.utf8.withContiguousStorageIfAvailable { expected in
            for index in expected.indices where expected[index] != bytes[index] { return false }
            return true
        }
        return equal == true ? name : nil
    }
}
