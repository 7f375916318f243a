// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "fullscript-redirect",
    products: [
        .executable(name: "fullscript-redirect", targets: ["fullscript-redirect"]),
        // For the packages beside this one: Benchmarks (bench-server) and Fuzz (libFuzzer targets).
        .library(name: "Server", targets: ["Server"]),
        .library(name: "HTTP1", targets: ["HTTP1"]),
        .library(name: "Fullscript", targets: ["Fullscript"]),
        .library(name: "App", targets: ["App"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CLinux"),
        .target(name: "Locking", swiftSettings: strict),
        .target(
            name: "Reactor",
            dependencies: ["CLinux", "Locking"],
            swiftSettings: strict
        ),
        .target(
            name: "HTTP1",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strict
        ),
        .target(
            name: "Server",
            dependencies: [
                "CLinux",
                "Locking",
                "Reactor",
                "HTTP1",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Cryptography",
            dependencies: ["COpenSSL"],
            swiftSettings: strict
        ),
        .target(
            name: "HTTPClient",
            dependencies: [
                "CLinux",
                "COpenSSL",
                "Locking",
                "Reactor",
                "HTTP1",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Fullscript",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FullscriptSandbox",
            dependencies: [
                "Server",
                "HTTPClient",
                "Cryptography",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Store",
            dependencies: [
                "CSQLite",
                "CLinux",
                "Cryptography",
                "Locking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // PostgreSQL through libpq, beside the SQLite store whose rows and values it shares. A module of its own
        // so that only what uses PostgreSQL links libpq.
        .target(
            name: "PostgresStore",
            dependencies: ["CLibPQ", "CLinux", "Store", "Locking", "Reactor"],
            swiftSettings: strict
        ),
        .target(
            name: "App",
            dependencies: [
                "Locking",
                "Server",
                "HTTPClient",
                "Fullscript",
                "Store",
                "PostgresStore",
                "Cryptography",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fullscript-redirect",
            dependencies: [
                "App",
                "FullscriptSandbox",
                "HTTPClient",
                "Server",
                "Cryptography",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ServerTesting",
            dependencies: [
                "Locking",
                "Server",
                "HTTP1",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // A real PostgreSQL server for the tests of the stores and of the app on PostgreSQL.
        .target(name: "PostgresTesting", dependencies: ["Locking"], swiftSettings: strict),
        .testTarget(name: "ReactorTests", dependencies: ["CLinux", "Reactor"], swiftSettings: strict),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], swiftSettings: strict),
        .testTarget(name: "ServerTests", dependencies: ["Server", "ServerTesting", "HTTP1"], swiftSettings: strict),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "Server", "ServerTesting"], swiftSettings: strict),
        .testTarget(name: "FullscriptTests", dependencies: ["Fullscript", "ServerTesting"], swiftSettings: strict),
        .testTarget(name: "FullscriptSandboxTests", dependencies: ["FullscriptSandbox", "Server", "ServerTesting"], swiftSettings: strict),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography"], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PostgresStore", "PostgresTesting", "Locking", "Reactor", "ServerTesting"], swiftSettings: strict),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App", "FullscriptSandbox", "Server", "ServerTesting", "Store", "PostgresStore", "PostgresTesting",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            // Databases the upgrade tests copy and open by path, not resources of the test bundle.
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
    ]
)

