// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Modelyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "yard", targets: ["yard"]),
        // The decoders fuzz/ (a separate package) fuzzes; one product each so a fuzz target builds only what it needs.
        .library(name: "YardJSON", targets: ["YardJSON"]),
        .library(name: "YardTracking", targets: ["YardTracking"]),
        .library(name: "YardData", targets: ["YardData"]),
        .library(name: "YardServing", targets: ["YardServing"]),
        .library(name: "YardMonitoring", targets: ["YardMonitoring"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "YardCore"),
        // A small, strict JSON reader and writer (no Foundation bridging on hot paths); fuzzed.
        .target(name: "YardJSON"),
        // The store interface: protocols, records and enums every implementation shares.
        .target(name: "YardStore", dependencies: ["YardCore"]),
        // The embedded implementation of that interface on SQLite (GRDB).
        .target(name: "YardSQLite", dependencies: [
            "YardCore", "YardStore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The scale-out implementation of the same interface on PostgreSQL (PostgresNIO): a connection pool,
        // binds for every value, serializable write transactions retried on conflict, migrations under an
        // advisory lock so replicas starting together do not race.
        .target(name: "YardPostgres", dependencies: [
            "YardCore", "YardStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Where artifact bytes live (the ArtifactStore protocol, the local folder store) and the durable
        // file layer shared with the data cache. Blocking file calls go through NIO's thread pool.
        .target(name: "YardBlobs", dependencies: [
            "YardCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "YardTracking", dependencies: ["YardCore", "YardStore"]),
        .target(name: "YardRegistry", dependencies: [
            "YardCore", "YardStore", "YardTracking",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "YardData", dependencies: [
            "YardCore", "YardBlobs",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Pipelines: the yard.yaml spec, the DAG, staleness against yard.lock, the run cache, executors and
        // the runner. Talks to tracking only through the RunRecorder protocol.
        .target(name: "YardPipelines", dependencies: [
            "YardCore", "YardJSON", "YardData",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Serving: model packages, the native ONNX evaluator (protobuf messages generated once and
        // committed), request and response codecs, deployments and the prediction log. No HTTP.
        .target(name: "YardServing", dependencies: [
            "YardCore", "YardJSON", "YardStore", "YardBlobs",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Monitoring: Evidently-equivalent drift statistics, quality and fairness, drift reports, and live
        // monitors with alert rules and actions. No HTTP.
        .target(name: "YardMonitoring", dependencies: [
            "YardCore", "YardJSON", "YardStore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The web UI: server-rendered pages, SVG charts drawn on the server, one script and one stylesheet
        // carried in the binary. Pages call the domain services, never SQL, and know nothing of Hummingbird:
        // YardServer adapts requests to `WebRequest` and mounts `WebUI.routes`.
        .target(name: "YardWeb", dependencies: [
            "YardCore", "YardJSON", "YardStore", "YardBlobs", "YardTracking", "YardRegistry",
        ]),
        // S3-compatible object storage: a small Signature V4 signer (swift-crypto), a streaming S3 client over
        // AsyncHTTPClient, and the ArtifactStore on a bucket. No AWS SDK.
        .target(name: "YardS3", dependencies: [
            "YardCore", "YardBlobs", "YardData",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "YardClient", dependencies: [
            "YardCore", "YardBlobs", "YardData", "YardPipelines",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "YardServer", dependencies: [
            "YardCore", "YardJSON", "YardStore", "YardSQLite", "YardPostgres", "YardBlobs", "YardTracking", "YardRegistry", "YardData",
            "YardServing", "YardMonitoring", "YardWeb", "YardS3",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "YardCLI", dependencies: [
            "YardCore", "YardServer", "YardPostgres", "YardData", "YardClient", "YardPipelines", "YardServing", "YardMonitoring",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "yard", dependencies: ["YardCLI", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        // The tracking load generator bench/tracking-ingest drives both servers with (built in release), so
        // what the benchmark measures is the servers, not a Python client sharing their cores.
        .executableTarget(name: "yard-loadgen", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], path: "bench/loadgen"),
        .testTarget(name: "YardTests", dependencies: [
            "YardCore", "YardJSON", "YardStore", "YardSQLite", "YardPostgres", "YardBlobs", "YardTracking", "YardRegistry", "YardServer", "YardData", "YardClient", "YardPipelines", "YardCLI", "YardServing", "YardMonitoring", "YardWeb", "YardS3",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
