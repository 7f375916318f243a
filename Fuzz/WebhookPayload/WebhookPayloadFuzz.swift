import CLibFuzzer
@testable import App
import Foundation
import Fullscript

/// libFuzzer entry for what a webhook delivery and the patients API let a stranger send: the
/// `Fullscript-Signature` header (the input's first line) and the JSON body (the rest). Nothing may
/// crash or hang, and an event that decodes must survive an encode and decode unchanged.
@main
enum Fuzz {
    static func main() {
        exit(fsr_run_fuzzer(CommandLine.argc, CommandLine.unsafeArgv) { start, count in fuzzWebhookPayload(start, count) })
    }
}

private func fuzzWebhookPayload(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let header = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])

    _ = try? WebhookSignature.verify(header: header, body: body, secrets: ["fuzz-secret"], now: Date(timeIntervalSince1970: 1_764_000_000))
    if let event = try? FullscriptEvent(webhookBody: body) {
        _ = try? event.treatmentPlan()
        guard let encoded = try? JSONEncoder().encode(event), let again = try? JSONDecoder().decode(FullscriptEvent.self, from: encoded),
              again == event else {
            fatalError("event \(event.id) does not survive an encode and decode")
        }
    }
    if let fields = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body)) {
        _ = try? PatientInput.record(from: fields, id: "p-fuzz", at: Date(timeIntervalSince1970: 1_764_000_000))
    }
    return 0
}
