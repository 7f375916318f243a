@testable import App
import Foundation
import Testing

/// Seeded random mutations of a valid `Fullscript-Signature` header, in every test run (libFuzzer's
/// webhook target reaches the parser too, but only when scripts/fuzz.sh runs): whatever the bytes, the
/// parser answers a well-formed signature or `.malformed`, and only the untouched MAC (in either case)
/// verifies.
struct WebhookSignatureMutationTests {
    /// SplitMix64: deterministic, so a failure replays from the iteration it names.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    static let alphabet = Array("t=v1, \t0123456789abcdefABCDEF-+.\u{0}é".utf8)

    static func mutate(_ header: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = header
        for _ in 0...Int.random(in: 0..<4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            let byte = Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            default: bytes.insert(contentsOf: bytes[position...].prefix(Int.random(in: 1...80, using: &generator)), at: position)
            }
        }
        return bytes
    }

    /// Yields now and then: 20,000 iterations are seconds of CPU, and the tests running beside this one share
    /// the two threads of Swift's pool with it.
    @Test func mutatedHeadersParseWellFormedOrAreMalformed() async {
        let valid = WebhookSignatureTests.header()
        var generator = SeededGenerator(state: 0x5EED_F022)
        for iteration in 0..<20_000 {
            if iteration.isMultiple(of: 250) { await Task.yield() }
            let header = String(decoding: Self.mutate(Array(valid.utf8), using: &generator), as: UTF8.self)
            do {
                let signature = try WebhookSignature(header: header)
                #expect(signature.timestamp >= 0, "iteration \(iteration): \(header)")
                #expect(signature.signatures.allSatisfy { $0.utf8.count == 64 && $0 == $0.lowercased() },
                        "iteration \(iteration): \(header)")
            } catch {
                #expect(error == .malformed, "iteration \(iteration): \(header)")
            }
            do {
                try WebhookSignatureTests.verify(header)
                #expect(header.lowercased().contains(valid.split(separator: ",")[1].dropFirst(3)), "iteration \(iteration): \(header)")
            } catch {
                continue
            }
        }
    }
}
