import CLibFuzzer
import Glibc
import HTTP1

/// libFuzzer entry: the request parser must never crash or hang on any bytes, and must decode the
/// same requests (or refuse with the same reason) whether the bytes arrive at once or in two reads.
/// The first input byte chooses where the second read starts; the rest is what the client sent.
@main
enum Fuzz {
    static func main() {
        exit(fsr_run_fuzzer(CommandLine.argc, CommandLine.unsafeArgv) { start, count in fuzzHTTPRequestParser(start, count) })
    }
}

private func fuzzHTTPRequestParser(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    let split = bytes.isEmpty ? 0 : Int(start[0]) % (bytes.count + 1)
    let whole = decode([bytes[...]])
    let inTwo = decode([bytes[..<split], bytes[split...]])
    if whole != inTwo {
        fatalError("the parser's answer depends on how the bytes were split at \(split): \(whole) vs \(inTwo)")
    }
    return 0
}

/// What a parse produced: heads, whole bodies (however they were chunked), ends, then the error if any.
private enum Outcome: Equatable {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end
    case refused(HTTPParseError)
}

/// Small limits, so the fuzzer reaches every limit check with short inputs.
private let limits = HTTPLimits(maxRequestLineLength: 256, maxHeaderSectionSize: 512, maxHeaderFieldCount: 8, maxBodySize: 128)

private func decode(_ reads: [ArraySlice<UInt8>]) -> [Outcome] {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcomes: [Outcome] = []
    // Bounded: every event consumes input or ends a request, and there are at most count + 1 of them.
    let bound = reads.reduce(0) { $0 + $1.count } * 3 + 8
    for read in reads {
        decoder.append(read)
        while outcomes.count < bound {
            do {
                guard let event = try decoder.next() else { break }
                switch event {
                case .head(let head): outcomes.append(.head(head))
                case .body(let chunk):
                    if case .body(let earlier)? = outcomes.last {
                        outcomes[outcomes.count - 1] = .body(earlier + chunk)
                    } else {
                        outcomes.append(.body(chunk))
                    }
                case .end: outcomes.append(.end)
                }
            } catch {
                outcomes.append(.refused(error))
                return outcomes
            }
        }
    }
    return outcomes
}
