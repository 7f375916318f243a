// swift-tools-version: 6.2
// bench-server: our HTTP listener alone, serving the routes every peer in peers/ serves. A package of
// its own, so the product's manifest holds only the product.
import PackageDescription

let package = Package(
    name: "benchmarks",
    products: [
        .executable(name: "bench-server", targets: ["bench-server"]),
    ],
    dependencies: [
        .package(name: "fullscript-redirect", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "bench-server",
            dependencies: [
                .product(name: "Server", package: "fullscript-redirect"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench-server",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
