import CLinux
import Glibc

/// A file answer being sent with sendfile(2): the bytes go from the page cache to the socket without
/// passing through userspace. Holding the `OpenFile` keeps the descriptor open until the last byte is sent
/// or the answer is dropped.
struct FileTransfer {
    let file: OpenFile
    private var offset: off_t = 0
    private let end: off_t

    init(_ file: OpenFile, length: Int) {
        self.file = file
        end = off_t(length)
    }

    mutating func send(to descriptor: Int32) -> OutputBuffer.Progress {
        while offset < end {
            let sent = sendfile(descriptor, file.descriptor, &offset, Int(end - offset))
            if sent < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed
            }
            // The file shrank under us: the promised Content-Length can no longer be kept.
            if sent == 0 { return .failed }
        }
        return .done
    }
}
