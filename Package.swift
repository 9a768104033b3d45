// swift-tools-version:6.0
// edgelive — a single-binary live-streaming appliance. Module layout and import rules: docs/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "edgelive",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "edgelive", targets: ["edgelive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.0"),
    ],
    targets: [
        // MARK: - System libraries (Debian packages; see scripts/setup.sh)
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavcodec", providers: [.apt(["libavcodec-dev", "libavformat-dev", "libavfilter-dev", "libswscale-dev", "libswresample-dev", "libva-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // MARK: - Pure layers: no I/O
        .target(name: "Media"),
        .target(name: "ISOBMFF", dependencies: ["Media"]),
        .target(name: "RTMP", dependencies: ["Media"]),
        .target(name: "Packaging", dependencies: ["Media", "ISOBMFF"]),
        // Live encoding's pure half: ladder presets and planning, hardware profiles, the worker's pipe protocol.
        .target(name: "EncodeModel", dependencies: ["Media", .product(name: "Yams", package: "Yams")]),
        // The control API's wire shapes (Azure Media Services v3 resources, ARM errors, OData, ids, durations): what the
        // daemon answers and the CLI reads. No storage, no media: the CLI links this, not ControlPlane.
        .target(name: "AMSModels"),
        // Content protection's pure half: keys, schemes and a locator's protection plan, common encryption (CENC, CBCS) of
        // CMAF init segments and fragments, the AES-128 envelope, pssh and DRM signalling data, key grants.
        .target(name: "Protection", dependencies: [
            "Media", "ISOBMFF", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),

        // MARK: - Runtime
        .target(name: "EventLoop", dependencies: ["CLibUV"]),
        .target(name: "HTTP", dependencies: ["EventLoop", "CHTTPParser"]),
        // TLS over memory buffers (OpenSSL): server certificates and a per-connection engine fed the bytes a stream
        // reads; no I/O of its own, so it fits the loop's streams (RTMPS ingest).
        .target(name: "TLS", dependencies: ["COpenSSL"]),

        // Key delivery's decision: which request gets a content key under its content key policy (open, or a JWT
        // checked against the policy's keys, claims and OpenID Connect discovery document), with the state that needs
        // (maxuses counters, the discovery key cache). The HTTP client fetches discovery documents.
        .target(name: "KeyAccess", dependencies: [
            "Protection", "HTTP", "EventLoop", .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Live pipeline and servers
        .target(name: "Live", dependencies: ["Media", "ISOBMFF", "EventLoop", "EncodeModel", .product(name: "Logging", package: "swift-log")]),
        // The channel directory: access tokens → live channels, locators → media sources; the control plane writes it,
        // ingest and the origin read it.
        .target(name: "MediaDirectory", dependencies: ["Live", "Packaging", "Protection", "EventLoop"]),
        .target(name: "Ingest", dependencies: ["EventLoop", "HTTP", "TLS", "RTMP", "ISOBMFF", "Media", "Live", "MediaDirectory", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Origin", dependencies: ["HTTP", "Packaging", "Protection", "KeyAccess", "Live", "Media", "ISOBMFF", "MediaDirectory", "EventLoop", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ControlPlane", dependencies: [
            "AMSModels", "Media", "EventLoop", "HTTP", "Live", "MediaDirectory", "Packaging", "Protection", "EncodeModel",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The encode worker's side (`edgelive worker encode`): decode, scale, encode with libavcodec (VAAPI or
        // libx264), and the VAAPI probe. Only this target imports the codec libraries.
        .target(name: "Encode", dependencies: ["CFFmpeg", "EncodeModel", "Media"]),
        // sd_notify (READY/STATUS/WATCHDOG/STOPPING), socket activation, the journald log handler.
        .target(name: "Systemd", dependencies: ["CSystemd", "EventLoop", .product(name: "Logging", package: "swift-log")]),
        // The API client the CLI verbs use: ARM requests, tables, exit codes; test tokens (HMAC) and CPIX documents (pssh).
        .target(name: "Client", dependencies: ["AMSModels", "Media", "EventLoop", "HTTP", "Protection", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Appliance", dependencies: [
            "EventLoop", "HTTP", "Media", "Live", "MediaDirectory", "Ingest", "Origin", "Packaging", "AMSModels", "ControlPlane", "Systemd", "EncodeModel", "TLS",
            .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "edgelive", dependencies: [
            "Appliance", "Client", "Encode", "EncodeModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Tests
        .testTarget(name: "MediaTests", dependencies: ["Media", "TestSupport"]),
        .testTarget(name: "ISOBMFFTests", dependencies: ["ISOBMFF", "Media", "EventLoop", "TestSupport"]),
        .testTarget(name: "RTMPTests", dependencies: ["RTMP", "Media"]),
        .testTarget(name: "PackagingTests", dependencies: ["Packaging", "Media", "EventLoop", "TestSupport"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "CLibUV", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "EventLoop"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "TestSupport"]),
        .testTarget(name: "LiveTests", dependencies: ["Live", "Media", "ISOBMFF"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "MediaDirectory", "TLS"]),
        .testTarget(name: "MediaDirectoryTests", dependencies: [
            "MediaDirectory", "Live", "Packaging", "EventLoop", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        // Test helpers shared by test targets (swagger files, hex vectors, a loop per test, ffmpeg/ffprobe runs). A library:
        // no Testing import.
        .target(name: "TestSupport", dependencies: ["EventLoop"], path: "Tests/TestSupport"),
        .testTarget(name: "AMSModelsTests", dependencies: ["AMSModels", "TestSupport"]),
        .testTarget(name: "ControlPlaneTests", dependencies: [
            "ControlPlane", "MediaDirectory", "AMSModels", "Protection", "TestSupport", "Live", "Media", "EventLoop", "HTTP", "EncodeModel", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "EventLoop", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ApplianceTests", dependencies: ["Appliance", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ClientTests", dependencies: [
            "Client", "AMSModels", "HTTP", "EventLoop", "Protection", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "EncodeModelTests", dependencies: ["EncodeModel", "Media"]),
        .testTarget(name: "EncodeTests", dependencies: ["Encode", "EncodeModel", "Media", "CFFmpeg"]),
        // Reads docs/ARCHITECTURE.md's module map and every import under Sources/: the map is the rule.
        .testTarget(name: "ArchitectureTests"),
        .testTarget(name: "ProtectionTests", dependencies: [
            "Protection", "Packaging", "Media", "ISOBMFF", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "KeyAccessTests", dependencies: [
            "KeyAccess", "Protection", "HTTP", "EventLoop", "TestSupport", .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KeyDeliveryTests", dependencies: [
            "Origin", "KeyAccess", "Protection", "HTTP", "EventLoop", "TestSupport", .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "OriginTests", dependencies: ["Origin", "MediaDirectory", "Live", "Media", "ISOBMFF", "Packaging", "Protection", "HTTP", "EventLoop", "TestSupport"]),
    ]
)
