import Cryptography
import Foundation

/// Why a delivery's `Fullscript-Signature` was refused.
enum WebhookSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    case malformed
    /// Signed more than the tolerance ago: possibly a replay.
    case stale
    /// Signed more than the tolerance ahead of our clock.
    case future
    /// No key we hold produced any of the signatures.
    case mismatch

    var description: String {
        switch self {
        case .missing: "no Fullscript-Signature header"
        case .malformed: "Fullscript-Signature is not t=<unix seconds>,v1=<64 hex digits>"
        case .stale: "signature timestamp too old"
        case .future: "signature timestamp in the future"
        case .mismatch: "signature does not match"
        }
    }
}
