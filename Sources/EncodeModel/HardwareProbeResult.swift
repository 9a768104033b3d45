/// What the VAAPI probe found on this machine: the input of hardware-profile selection.
///
/// Plain values so selection is a pure function; `Encode.HardwareProbe` fills it from `/dev/dri` and libva,
/// tests write it by hand.
public struct HardwareProbeResult: Codable, Sendable, Hashable {
    /// Every `/dev/dri/renderD*` node, in name order; empty without a GPU.
    public var renderNodes: [RenderNodeProbe]
    /// The machine's architecture, normalised (``HardwareProbeResult/normalizedArchitecture(_:)``): `x86-64`, `arm64`.
    public var architecture: String
    /// Online CPU cores: picks the software tier.
    public var cpuCores: Int
    /// `LIBVA_DRIVER_NAME` when set: libva then loads that driver for every node.
    public var driverOverride: String?
    /// Why there are no nodes, when there are none (`no DRM render node under /dev/dri`).
    public var note: String?

    public init(renderNodes: [RenderNodeProbe], architecture: String, cpuCores: Int, driverOverride: String? = nil, note: String? = nil) {
        self.renderNodes = renderNodes
        self.architecture = HardwareProbeResult.normalizedArchitecture(architecture)
        self.cpuCores = cpuCores
        self.driverOverride = driverOverride
        self.note = note
    }

    /// `uname -m` spellings to the names profiles use: `x86_64`/`amd64` → `x86-64`, `aarch64` → `arm64`.
    public static func normalizedArchitecture(_ machine: String) -> String {
        switch machine.lowercased() {
        case "x86_64", "x86-64", "amd64": return "x86-64"
        case "aarch64", "arm64": return "arm64"
        default: return machine.lowercased()
        }
    }
}

/// One DRM render node and what its VAAPI driver offers.
public struct RenderNodeProbe: Codable, Sendable, Hashable {
    /// `/dev/dri/renderD128`.
    public var path: String
    /// The VAAPI driver libva loaded (or would load): `iHD`, `i965`, `radeonsi`; nil when unknown.
    public var driverName: String?
    /// `vaQueryVendorString`: `Intel iHD driver for Intel(R) Gen Graphics - 23.1.1 ()`.
    public var vendorString: String?
    /// PCI vendor id from sysfs: 0x8086 Intel, 0x1002 AMD.
    public var pciVendorID: UInt16?
    /// PCI device id from sysfs, for reports and for matching by hand.
    public var pciDeviceID: UInt16?
    /// The kernel driver bound to the device: `i915`, `xe`, `amdgpu`.
    public var kernelDriver: String?
    /// `1.17` from `vaInitialize`.
    public var vaAPIVersion: String?
    /// Every (profile, entrypoint) pair the driver offers.
    public var configs: [VAConfigPair]
    /// Why the node could not be probed (permission, no driver); nil when it was.
    public var error: String?

    public init(path: String, driverName: String? = nil, vendorString: String? = nil, pciVendorID: UInt16? = nil,
                pciDeviceID: UInt16? = nil, kernelDriver: String? = nil, vaAPIVersion: String? = nil,
                configs: [VAConfigPair] = [], error: String? = nil) {
        self.path = path
        self.driverName = driverName
        self.vendorString = vendorString
        self.pciVendorID = pciVendorID
        self.pciDeviceID = pciDeviceID
        self.kernelDriver = kernelDriver
        self.vaAPIVersion = vaAPIVersion
        self.configs = configs
        self.error = error
    }

    /// `renderD128`.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    public func offers(_ pair: VAConfigPair) -> Bool { configs.contains(pair) }

    /// The encode pairs, in `va.h` order.
    public var encodeConfigs: [VAConfigPair] { configs.filter(\.isEncode).sorted() }
    /// The decode pairs, in `va.h` order.
    public var decodeConfigs: [VAConfigPair] { configs.filter(\.isDecode).sorted() }

    /// `renderD128 (iHD, PCI 8086:9a49)`, for sentences.
    public var label: String {
        var parts: [String] = []
        if let driverName { parts.append(driverName) }
        if let pciVendorID {
            parts.append("PCI " + hex4(pciVendorID) + (pciDeviceID.map { ":" + hex4($0) } ?? ""))
        }
        return parts.isEmpty ? name : "\(name) (\(parts.joined(separator: ", ")))"
    }
}

/// `0x8086` → `8086`.
func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
