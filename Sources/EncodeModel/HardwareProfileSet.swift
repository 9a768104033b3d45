import Foundation

/// Every hardware profile of a `hwprofiles/` directory, checked as a whole: unique names, and a software profile
/// for every architecture the appliance ships for.
public struct HardwareProfileSet: Sendable, Hashable {
    /// All profiles, in the order selection tries them: `priority`, then name.
    public let profiles: [HardwareProfile]

    /// The ladder presets a profile's `ladders` may name (the live event's `encoding.presetName`).
    public static var knownLadderPresets: Set<String> { Set(LadderPreset.builtIn.map(\.name)) }
    /// Every architecture needs a software profile, so a box without a usable GPU can always encode.
    public static let requiredArchitectures: Set<String> = ["x86-64", "arm64"]
    /// x264's presets, fastest first.
    public static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
    /// Where the .deb installs the shipped profiles.
    public static let installedDirectory = "/usr/share/edgelive/hwprofiles"

    /// Checks the set: unique names, a software profile per required architecture.
    public init(profiles: [HardwareProfile], origin: String = "hwprofiles") throws(HardwareProfileError) {
        let sorted = profiles.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }
        var seen: [String: HardwareProfile] = [:]
        for profile in sorted {
            if let other = seen[profile.name] {
                throw HardwareProfileError(file: profile.sourceFile ?? origin, key: "name",
                                           problem: "the name '\(profile.name)' is also used by \(other.sourceFile ?? "another profile")",
                                           fix: "give each profile its own name (by convention the file name without .yaml)")
            }
            seen[profile.name] = profile
        }
        for arch in Self.requiredArchitectures.sorted()
        where !sorted.contains(where: { $0.backend == .software && $0.match.architectures.contains(arch) }) {
            throw HardwareProfileError(file: origin, problem: "no software profile for \(arch), so a \(arch) box without a usable GPU could not encode",
                                       fix: "add a file with backend: software and match.architectures: [\(arch)] (the shipped software-\(arch).yaml)")
        }
        self.profiles = sorted
    }

    /// Loads every `*.yaml` (and `*.yml`) file of `directory`; other files (README.md) are ignored.
    public static func load(directory: String, knownPresets: Set<String> = knownLadderPresets) throws(HardwareProfileError) -> HardwareProfileSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw HardwareProfileError(file: directory, problem: "cannot list the hardware profile directory (\(reason(error)))",
                                       fix: "name the hwprofiles directory (installed: \(installedDirectory); in a checkout: hwprofiles/ at its top)")
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else {
            throw HardwareProfileError(file: directory, problem: "no *.yaml hardware profile in the directory",
                                       fix: "name the hwprofiles directory (installed: \(installedDirectory); in a checkout: hwprofiles/ at its top)")
        }
        var profiles: [HardwareProfile] = []
        for name in files {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw HardwareProfileError(file: path, problem: "cannot read the file (\(reason(error)))", fix: "make it readable UTF-8 text")
            }
            profiles.append(try HardwareProfile.parse(yaml: text, file: path, knownPresets: knownPresets))
        }
        return try HardwareProfileSet(profiles: profiles, origin: directory)
    }

    /// The shipped directory, wherever the binary is started from: the installed one when it exists; else the
    /// `hwprofiles/` of the checkout or install tree the executable sits in (`<checkout>/.build/release/edgelive`,
    /// `<prefix>/bin/edgelive` with `<prefix>/share/edgelive/hwprofiles`); else `./hwprofiles`, whose absence the
    /// loader then reports.
    public static func defaultDirectory(executable: String? = currentExecutable(),
                                        fileManager: FileManager = .default) -> String {
        func isProfileDirectory(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
            let names = (try? fileManager.contentsOfDirectory(atPath: path)) ?? []
            return names.contains { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        }
        if isProfileDirectory(installedDirectory) { return installedDirectory }
        if let executable {
            var directory = (executable as NSString).deletingLastPathComponent
            // A checkout's binary is a few levels down (.build/<triple>/release/edgelive); stop at the root.
            for _ in 0..<6 where directory.count > 1 {
                for candidate in ["hwprofiles", "share/edgelive/hwprofiles"] {
                    let path = (directory as NSString).appendingPathComponent(candidate)
                    if isProfileDirectory(path) { return path }
                }
                directory = (directory as NSString).deletingLastPathComponent
            }
        }
        return "./hwprofiles"
    }

    /// The running executable's resolved path (`/proc/self/exe`), nil where it cannot be read.
    public static func currentExecutable() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    public func profile(named name: String) -> HardwareProfile? { profiles.first { $0.name == name } }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
