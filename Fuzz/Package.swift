// swift-tools-version: 6.2
// libFuzzer targets (scripts/fuzz.sh). They link libFuzzer's driver, which exists only in a
// `-sanitize=fuzzer` build, so they live in a package of their own that only that build opens.
import PackageDescription

let package = Package(
    name: "fuzz",
    dependencies: [
        .package(name: "fullscript-redirect", path: ".."),
    ],
    targets: [
        .target(name: "CLibFuzzer", path: "CLibFuzzer"),
        .executableTarget(
            name: "fuzz-http-request-parser",
            dependencies: ["CLibFuzzer", .product(name: "HTTP1", package: "fullscript-redirect")],
            path: "HTTPRequestParser",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "fuzz-webhook-payload",
            dependencies: [
                "CLibFuzzer",
                .product(name: "App", package: "fullscript-redirect"),
                .product(name: "Fullscript", package: "fullscript-redirect"),
            ],
            path: "WebhookPayload",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
