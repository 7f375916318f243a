import HTTP1
import HTTPTypes
import Testing

/// Everything a decoder produced for some input: its events, then the error that stopped it.
/// Consecutive `.body` events are merged, since how a body is sliced depends on how it arrived.
struct Decoded: Equatable {
    var events: [HTTPRequestDecoder.Event] = []
    var error: HTTPParseError?

    mutating func record(_ event: HTTPRequestDecoder.Event) {
        if case .body(let more) = event, case .body(let earlier)? = events.last {
            events[events.count - 1] = .body(earlier + more)
        } else {
            events.append(event)
        }
    }
}

enum Feeding {
    case whole
    case byteAtATime
}

/// Appends `input` whole or a byte at a time, calling `next()` until nil after every append.
/// `bodyLimit` is applied after each head, as a server would per route.
func decode(
    _ input: [UInt8],
    limits: HTTPLimits = HTTPLimits(),
    bodyLimit: Int? = nil,
    feeding: Feeding
) -> Decoded {
    var decoder = HTTPRequestDecoder(limits: limits)
    var decoded = Decoded()
    func drain() -> Bool {
        do {
            while let event = try decoder.next() {
                #expect(event != .body([]), "body events are never empty")
                decoded.record(event)
                if case .head = event, let bodyLimit { decoder.bodyLimit = bodyLimit }
            }
            return true
        } catch {
            decoded.error = error
            return false
        }
    }
    switch feeding {
    case .whole:
        decoder.append(input)
        _ = drain()
    case .byteAtATime:
        for byte in input {
            decoder.append(CollectionOfOne(byte))
            guard drain() else { break }
        }
    }
    return decoded
}

/// Decodes `input` both whole and a byte at a time, expects both to agree, and returns the result.
func decodeBothWays(
    _ input: String,
    limits: HTTPLimits = HTTPLimits(),
    bodyLimit: Int? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Decoded {
    decodeBothWays(Array(input.utf8), limits: limits, bodyLimit: bodyLimit, sourceLocation: sourceLocation)
}

func decodeBothWays(
    _ input: [UInt8],
    limits: HTTPLimits = HTTPLimits(),
    bodyLimit: Int? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Decoded {
    let whole = decode(input, limits: limits, bodyLimit: bodyLimit, feeding: .whole)
    let byteAtATime = decode(input, limits: limits, bodyLimit: bodyLimit, feeding: .byteAtATime)
    #expect(whole == byteAtATime, "byte-at-a-time feeding must decode the same", sourceLocation: sourceLocation)
    return whole
}

/// The error `input` is rejected with, fed both ways.
func rejection(
    _ input: String,
    limits: HTTPLimits = HTTPLimits(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPParseError? {
    decodeBothWays(input, limits: limits, sourceLocation: sourceLocation).error
}

func makeHead(
    _ method: HTTPRequest.Method = .get,
    scheme: String? = nil,
    authority: String? = "example.com",
    path: String? = "/",
    fields: HTTPFields = [:],
    version: HTTPVersion = .http1_1,
    keepAlive: Bool = true,
    framing: HTTPBodyFraming = .none,
    expectsContinue: Bool = false
) -> HTTPRequestHead {
    HTTPRequestHead(
        request: HTTPRequest(method: method, scheme: scheme, authority: authority, path: path, headerFields: fields),
        version: version,
        keepAlive: keepAlive,
        framing: framing,
        expectsContinue: expectsContinue
    )
}

func fieldName(_ name: String) -> HTTPField.Name {
    HTTPField.Name(name)!
}

extension HTTPRequestDecoder.Event {
    static func body(_ text: String) -> Self {
        .body(Array(text.utf8))
    }

    static var end: Self {
        .end(trailers: [:])
    }
}
