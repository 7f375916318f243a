import COpenSSL
import Glibc

/// TLS over one non-blocking socket. Every call returns at once; `.wantRead`/`.wantWrite` say
/// which readiness to wait for before calling again.
final class TLSSession {
    enum Progress {
        case done(Int)
        case wantRead
        case wantWrite
        /// The peer closed the TLS session or the socket.
        case closed
        case failed(String)
    }

    private let ssl: OpaquePointer

    /// SNI for names only (RFC 6066 §3 forbids IP literals there); the certificate is checked
    /// against the name or the address either way.
    init(context: TLSContext, descriptor: Int32, origin: Origin) throws(HTTPClientError) {
        guard let ssl = SSL_new(context.context) else { throw .tlsFailed("SSL_new: \(OpenSSLError.drain())") }
        self.ssl = ssl
        SSL_set_fd(ssl, descriptor)
        let configured: Bool
        if origin.isIPAddress {
            configured = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), origin.host) == 1
        } else {
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            configured = copenssl_set_server_name(ssl, origin.host) == 1 && SSL_set1_host(ssl, origin.host) == 1
        }
        guard configured else { throw .tlsFailed("cannot set the expected host: \(OpenSSLError.drain())") }
    }

    deinit {
        SSL_free(ssl)
    }

    func handshake() -> Progress {
        ERR_clear_error()
        let result = SSL_connect(ssl)
        if result == 1 { return .done(0) }
        let progress = progress(after: result)
        guard case .failed(let reason) = progress else { return progress }
        // With SSL_VERIFY_PEER a rejected certificate aborts the handshake; its reason is kept
        // apart from the error queue, which would only say "certificate verify failed".
        let verification = SSL_get_verify_result(ssl)
        guard verification == X509_V_OK else { return .failed(String(cString: X509_verify_cert_error_string(verification))) }
        return .failed(reason)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        ERR_clear_error()
        let result = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return result > 0 ? .done(Int(result)) : progress(after: result)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return result > 0 ? .done(Int(result)) : progress(after: result)
    }

    /// Best effort close_notify before the socket is closed; the answer is not waited for.
    func close() {
        ERR_clear_error()
        SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func progress(after result: Int32) -> Progress {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            // The socket failed or hit EOF under TLS; either way the connection is gone.
            ERR_clear_error()
            return .closed
        default:
            return .failed(OpenSSLError.drain())
        }
    }
}
