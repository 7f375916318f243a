/// The HTTP/1.x versions the decoder accepts. Others are answered with 505 rather than guessed
/// at, because persistence and framing rules differ between versions.
public enum HTTPVersion: Sendable, Equatable {
    case http1_0
    case http1_1
}
