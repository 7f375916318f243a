// swift-tools-version: 6.1
// Peer servers for benchmarking. Standalone package: NOT referenced by the main package.
// Each executable serves the same three routes as bench-server:
//   GET /healthz        -> 200 text/plain "ok"
//   GET /redirect       -> 302 Location: /static/4k.bin, empty body
//   GET /static/4k.bin  -> the file ROOT/4k.bin
import PackageDescription

let package = Package(
    name: "peers",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "peer-hummingbird", targets: ["peer-hummingbird"]),
        .executable(name: "peer-flyingfox", targets: ["peer-flyingfox"]),
    ],
    dependencies: [
        // traits: [] drops swift-configuration support, which the peer does not use (shorter build).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .target(name: "PeerSupport"),
        .executableTarget(
            name: "peer-hummingbird",
            dependencies: [
                "PeerSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "peer-flyingfox",
            dependencies: [
                "PeerSupport",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ]
        ),
    ]
)
