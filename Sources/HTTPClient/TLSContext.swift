import COpenSSL

/// The client's one SSL_CTX: TLS 1.2 or newer, peers verified against the system store plus
/// `caFile`. There is deliberately no way to turn verification off.
final class TLSContext: @unchecked Sendable {
    // SSL_CTX is safe to share once configured; it is only read after init.
    let context: OpaquePointer

    init(caFile: String?) throws(HTTPClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .tlsFailed("SSL_CTX_new: \(OpenSSLError.drain())")
        }
        self.context = context
        guard copenssl_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw .tlsFailed("cannot require TLS 1.2: \(OpenSSLError.drain())")
        }
        guard SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw .tlsFailed("cannot load the system trust store: \(OpenSSLError.drain())")
        }
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .tlsFailed("cannot load CA file \(caFile): \(OpenSSLError.drain())")
            }
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        copenssl_set_nonblocking_write_modes(context)
    }

    deinit {
        SSL_CTX_free(context)
    }
}

enum OpenSSLError {
    /// The oldest queued error as text, emptying the thread's queue so the next call starts clean.
    static func drain() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
