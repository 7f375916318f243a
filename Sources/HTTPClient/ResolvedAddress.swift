import CLinux
import Glibc

/// One address getaddrinfo returned for a host, ready for connect(2).
struct ResolvedAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t

    var family: Int32 { Int32(storage.ss_family) }

    var isLoopback: Bool {
        var storage = storage
        return withUnsafeBytes(of: &storage) { raw in
            switch family {
            case AF_INET:
                let address = raw.loadUnaligned(fromByteOffset: 0, as: sockaddr_in.self)
                return UInt32(bigEndian: address.sin_addr.s_addr) >> 24 == 127
            case AF_INET6:
                let address = raw.loadUnaligned(fromByteOffset: 0, as: sockaddr_in6.self)
                var bytes = address.sin6_addr
                return withUnsafeBytes(of: &bytes) { $0.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) }
            default:
                return false
            }
        }
    }

    /// getaddrinfo blocks, so callers run this off the event loop. Nothing is cached here: the
    /// OS resolver (nscd, systemd-resolved) decides how long an answer lives.
    static func resolve(host: String, port: Int) -> Result<[ResolvedAddress], HTTPClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            return .failure(.connectFailed("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let address = info.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                }
                addresses.append(ResolvedAddress(storage: storage, length: info.ai_addrlen))
            }
            entry = info.ai_next
        }
        guard !addresses.isEmpty else { return .failure(.connectFailed("no address for \(host)")) }
        return .success(addresses)
    }
}
