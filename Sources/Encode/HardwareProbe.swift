import CFFmpeg
import EncodeModel
import Foundation

/// Finds the machine's DRM render nodes and asks libva what each one can encode and decode.
///
/// The result is the pure ``HardwareProbeResult`` that `HardwareProfileSet.select` takes. Every failure is per node
/// and lands in ``RenderNodeProbe/error`` with what to do; the probe itself never fails, so a box without a GPU
/// gets an empty node list and a note.
public enum HardwareProbe {
    /// Probes every `renderD*` node under `deviceDirectory`.
    ///
    /// - Parameters:
    ///   - deviceDirectory: where the DRM nodes are (`/dev/dri`).
    ///   - sysfsDirectory: where the kernel describes them (`/sys/class/drm`), for PCI ids and the kernel driver.
    ///   - environment: read for `LIBVA_DRIVER_NAME`.
    public static func run(deviceDirectory: String = "/dev/dri", sysfsDirectory: String = "/sys/class/drm",
                           environment: [String: String] = ProcessInfo.processInfo.environment) -> HardwareProbeResult {
        let override = environment["LIBVA_DRIVER_NAME"].flatMap { $0.isEmpty ? nil : $0 }
        let (paths, note) = renderNodePaths(in: deviceDirectory)
        let nodes = paths.map { probe(renderNode: $0, sysfsDirectory: sysfsDirectory, driverOverride: override) }
        return HardwareProbeResult(renderNodes: nodes, architecture: machineArchitecture(),
                                   cpuCores: ProcessInfo.processInfo.activeProcessorCount, driverOverride: override, note: note)
    }

    /// The `renderD*` paths in name order, or why there are none.
    static func renderNodePaths(in directory: String) -> ([String], String?) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return ([], "no GPU: no DRM render node under \(directory)")
        }
        let nodes = names.filter { $0.hasPrefix("renderD") }
            .sorted { (Int($0.dropFirst("renderD".count)) ?? 0, $0) < (Int($1.dropFirst("renderD".count)) ?? 0, $1) }
        guard !nodes.isEmpty else {
            let others = names.sorted().joined(separator: ", ")
            return ([], "no GPU: no DRM render node under \(directory)" + (others.isEmpty ? "" : " (only \(others))"))
        }
        return (nodes.map { "\(directory)/\($0)" }, nil)
    }

    /// Probes one render node: sysfs first (it needs no permission), then libva.
    public static func probe(renderNode path: String, sysfsDirectory: String = "/sys/class/drm", driverOverride: String? = nil) -> RenderNodeProbe {
        var node = RenderNodeProbe(path: path)
        let device = "\(sysfsDirectory)/\(node.name)/device"
        node.pciVendorID = readHexID("\(device)/vendor")
        node.pciDeviceID = readHexID("\(device)/device")
        node.kernelDriver = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(device)/driver"))
            .map { URL(fileURLWithPath: $0).lastPathComponent }

        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            node.error = openError(path: path, errno: errno)
            return node
        }
        defer { close(fd) }
        guard let display = vaGetDisplayDRM(fd) else {
            node.error = "libva could not make a display on \(path) (vaGetDisplayDRM failed); check that the kernel driver (\(node.kernelDriver ?? "unknown")) supports DRM render nodes"
            return node
        }
        // libva prints its messages to stderr unless given callbacks; collect them instead, for the driver name
        // ("Trying to open …/iHD_drv_video.so") and for error reports.
        let log = MessageLog()
        let context = Unmanaged.passRetained(log)
        defer { context.release() }
        _ = vaSetErrorCallback(display, { context, message in MessageLog.append(context, message, error: true) }, context.toOpaque())
        _ = vaSetInfoCallback(display, { context, message in MessageLog.append(context, message, error: false) }, context.toOpaque())

        var major: Int32 = 0
        var minor: Int32 = 0
        let status = vaInitialize(display, &major, &minor)
        defer { _ = vaTerminate(display) }
        guard status == VA_STATUS_SUCCESS else {
            let detail = log.errors.last.map { " (\($0))" } ?? ""
            node.driverName = driverOverride ?? log.loadedDriver
            node.error = "vaInitialize failed: \(String(cString: vaErrorStr(status)))\(detail); "
                + "install the VAAPI driver for this GPU: intel-media-va-driver (Intel Broadwell and later), "
                + "i965-va-driver (older Intel) or mesa-va-drivers (AMD), or set LIBVA_DRIVER_NAME to the right one"
            return node
        }
        node.vaAPIVersion = "\(major).\(minor)"
        if let vendor = vaQueryVendorString(display) { node.vendorString = String(cString: vendor) }
        node.driverName = driverOverride ?? log.loadedDriver ?? guessDriver(vendor: node.vendorString, kernelDriver: node.kernelDriver)
        node.configs = queryConfigs(display)
        return node
    }

    /// Every (profile, entrypoint) pair the display offers.
    private static func queryConfigs(_ display: VADisplay) -> [VAConfigPair] {
        let maxProfiles = Int(vaMaxNumProfiles(display))
        let maxEntrypoints = Int(vaMaxNumEntrypoints(display))
        guard maxProfiles > 0, maxEntrypoints > 0 else { return [] }
        var profiles = [VAProfile](repeating: VAProfileNone, count: maxProfiles)
        var profileCount: Int32 = 0
        guard vaQueryConfigProfiles(display, &profiles, &profileCount) == VA_STATUS_SUCCESS else { return [] }
        var pairs: [VAConfigPair] = []
        for profile in profiles.prefix(min(Int(profileCount), maxProfiles)) {
            var entrypoints = [VAEntrypoint](repeating: VAEntrypoint(0), count: maxEntrypoints)
            var entrypointCount: Int32 = 0
            guard vaQueryConfigEntrypoints(display, profile, &entrypoints, &entrypointCount) == VA_STATUS_SUCCESS else { continue }
            let profileName = VANames.profileName(Int32(truncatingIfNeeded: profile.rawValue))
            for entrypoint in entrypoints.prefix(min(Int(entrypointCount), maxEntrypoints)) {
                pairs.append(VAConfigPair(profile: profileName, entrypoint: VANames.entrypointName(Int32(truncatingIfNeeded: entrypoint.rawValue))))
            }
        }
        return pairs.sorted()
    }

    /// What to do about a render node that would not open.
    static func openError(path: String, errno code: Int32) -> String {
        let reason = String(cString: strerror(code))
        switch code {
        case EACCES, EPERM:
            var group = "render"
            var info = stat()
            if stat(path, &info) == 0, let entry = getgrgid(info.st_gid), let name = entry.pointee.gr_name { group = String(cString: name) }
            let user = getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "this user"
            return "permission denied opening \(path): \(user) must be in the `\(group)` group that owns it "
                + "(`usermod -aG \(group) \(user)`, then log in again; edgelive.service has SupplementaryGroups=render video)"
        case ENOENT:
            return "\(path) disappeared while probing (\(reason)); run the probe again"
        default:
            return "cannot open \(path): \(reason)"
        }
    }

    /// `0x8086\n` from sysfs.
    private static func readHexID(_ path: String) -> UInt16? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return UInt16(trimmed.hasPrefix("0x") ? String(trimmed.dropFirst(2)) : trimmed, radix: 16)
    }

    /// The driver name from the vendor string when libva's messages did not say (messaging turned off).
    static func guessDriver(vendor: String?, kernelDriver: String?) -> String? {
        guard let vendor else { return nil }
        if vendor.contains("iHD") { return "iHD" }
        if vendor.contains("i965") { return "i965" }
        if vendor.hasPrefix("Mesa Gallium") {
            switch kernelDriver {
            case "amdgpu": return "radeonsi"
            case "radeon": return "r600"
            case "nouveau": return "nouveau"
            case "virtio_gpu", "virtio-pci": return "virtio_gpu"
            default: return nil
            }
        }
        return nil
    }

    /// `x86-64`, `arm64` (from `uname -m`).
    static func machineArchitecture() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        let machine = withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return HardwareProbeResult.normalizedArchitecture(machine)
    }
}

/// libva's messages during one probe; the C callbacks reach it through their context pointer.
private final class MessageLog {
    var errors: [String] = []
    var info: [String] = []

    static func append(_ context: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?, error: Bool) {
        guard let context, let message else { return }
        let log = Unmanaged<MessageLog>.fromOpaque(context).takeUnretainedValue()
        let line = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        if error { log.errors.append(line) } else { log.info.append(line) }
    }

    /// `iHD` from libva's "Trying to open /usr/lib/x86_64-linux-gnu/dri/iHD_drv_video.so" followed by
    /// "va_openDriver() returns 0".
    var loadedDriver: String? {
        var candidate: String?
        for line in info {
            if let range = line.range(of: "Trying to open ") {
                let file = URL(fileURLWithPath: String(line[range.upperBound...])).lastPathComponent
                candidate = file.hasSuffix("_drv_video.so") ? String(file.dropLast("_drv_video.so".count)) : nil
            } else if line.contains("va_openDriver() returns 0"), let candidate {
                return candidate
            }
        }
        return nil
    }
}
