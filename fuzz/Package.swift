// swift-tools-version: 5.4
//
// Coverage-guided fuzz targets (libFuzzer) for Modelyard's decoders. Build and run with `fuzz/run`;
// see fuzz/README.md.
//
// The tools version is deliberately 5.4, not 6.x: from 5.5 on, SwiftPM compiles an executable's entry
// point as `<module>_main` and links it with `--defsym main=<module>_main` (so tests can import
// executables). With `-sanitize=fuzzer` that collides with libFuzzer's own `main` (gold crashes, or
// Swift's main wins and the binary exits at once). Packages at 5.4 are linked plainly, so libFuzzer's
// `main` drives the `LLVMFuzzerTestOneInput` each target defines. The decoders themselves are compiled
// by the root package's manifest (6.0); `fuzz/run` passes `-sanitize=fuzzer` to every Swift module, so
// they are instrumented for coverage too.
import PackageDescription

// Each target holds only `@_cdecl("LLVMFuzzerTestOneInput")`: no top-level code, no `main.swift`.
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "ModelyardFuzz",
    dependencies: [
        .package(name: "Modelyard", path: ".."),
    ],
    targets: [
        .executableTarget(name: "fuzz-json", dependencies: [.product(name: "YardJSON", package: "Modelyard")],
                          swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-search", dependencies: [.product(name: "YardTracking", package: "Modelyard")],
                          swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-data", dependencies: [.product(name: "YardData", package: "Modelyard")],
                          swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-onnx", dependencies: [.product(name: "YardServing", package: "Modelyard")],
                          swiftSettings: fuzzTarget),
    ]
)
