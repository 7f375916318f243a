internal import CLibPQ

/// The built-in type OIDs this store binds or decodes (pg_type.oid; fixed
/// across PostgreSQL versions, see `catalog/pg_type.dat`).
enum TypeOID {
    /// Lets the server infer the type from the parameter's context.
    static let unspecified: Oid = 0
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let oid: Oid = 26
    static let float4: Oid = 700
    static let float8: Oid = 701
    static let numeric: Oid = 1700
}
