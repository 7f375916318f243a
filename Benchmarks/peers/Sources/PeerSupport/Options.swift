#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Command line shared by the peer servers: `--port N --root DIR`.
public struct PeerOptions: Sendable {
    public var port: Int = 8080
    public var root: String = "."

    /// Parses `CommandLine.arguments`; exits with status 64 on bad usage.
    public static func parse(_ arguments: [String] = CommandLine.arguments) -> PeerOptions {
        var options = PeerOptions()
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { usage("missing value for \(flag)") }
            switch flag {
            case "--port":
                guard let port = Int(value), (0...65535).contains(port) else { usage("bad port \(value)") }
                options.port = port
            case "--root":
                options.root = value
            default:
                usage("unknown option \(flag)")
            }
        }
        return options
    }

    private static func usage(_ message: String) -> Never {
        let name = CommandLine.arguments.first ?? "peer"
        print("\(name): \(message)\nusage: \(name) --port N --root DIR")
        exit(64)
    }
}
