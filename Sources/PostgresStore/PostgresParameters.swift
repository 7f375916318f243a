internal import CLibPQ
import Store

/// Bound values in libpq's form: a type, a format and bytes per parameter.
/// Numbers and blobs go binary (exact, no text round trip); text goes as an
/// untyped literal so the server types it from where it is used.
struct PostgresParameters {
    let types: [Oid]
    /// nil is SQL NULL.
    private let values: [[UInt8]?]
    /// 0 text, 1 binary, per parameter.
    private let formats: [Int32]

    init(_ bindings: [DatabaseValue]) {
        var types: [Oid] = []
        var values: [[UInt8]?] = []
        var formats: [Int32] = []
        for binding in bindings {
            switch binding {
            case .null:
                types.append(TypeOID.unspecified)
                values.append(nil)
                formats.append(0)
            case let .integer(number):
                types.append(TypeOID.int8)
                values.append(withUnsafeBytes(of: number.bigEndian, Array.init))
                formats.append(1)
            case let .real(number):
                types.append(TypeOID.float8)
                values.append(withUnsafeBytes(of: number.bitPattern.bigEndian, Array.init))
                formats.append(1)
            case let .text(text):
                types.append(TypeOID.unspecified)
                // Text-format values are read up to their NUL terminator.
                values.append(Array(text.utf8) + [0])
                formats.append(0)
            case let .blob(bytes):
                types.append(TypeOID.bytea)
                values.append(bytes)
                formats.append(1)
            }
        }
        self.types = types
        self.values = values
        self.formats = formats
    }

    /// Calls `body` with the C arrays `PQexecParams`/`PQexecPrepared` take, valid only during the call.
    func withCArrays<Result>(
        _ body: (
            Int32,
            UnsafePointer<Oid>?,
            UnsafePointer<UnsafePointer<CChar>?>?,
            UnsafePointer<Int32>?,
            UnsafePointer<Int32>?
        ) -> Result
    ) -> Result {
        // An empty value still needs a non-NULL pointer: NULL would mean SQL NULL.
        let capacity = values.reduce(0) { $0 + max($1?.count ?? 0, 1) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 1)
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(values.count)
        var offset = 0
        for value in values {
            guard let value else {
                pointers.append(nil)
                continue
            }
            value.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress {
                    (storage + offset).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            pointers.append(UnsafePointer((storage + offset).assumingMemoryBound(to: CChar.self)))
            offset += max(value.count, 1)
        }
        let lengths = values.map { Int32($0?.count ?? 0) }
        return types.withUnsafeBufferPointer { types in
            pointers.withUnsafeBufferPointer { pointers in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(Int32(types.count), types.baseAddress, pointers.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}
