import Foundation

/// The embedded default pass-through live event of a development box: its access token and preview
/// locator are generated once and kept in the data directory, so URLs survive restarts.
struct DefaultEvent: Codable, Sendable {
    var name: String
    var accessToken: String
    var previewLocator: String
    var streamName: String

    static let fileName = "default-event.json"

    /// Loads the event from `directory`, creating it on first start.
    static func loadOrCreate(in directory: String) throws -> DefaultEvent {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(fileName)
        if let data = try? Data(contentsOf: url) {
            do {
                return try JSONDecoder().decode(DefaultEvent.self, from: data)
            } catch {
                throw ApplianceError("\(url.path) is damaged (\(error)); move it away to create a new default event")
            }
        }
        let event = DefaultEvent(name: "default",
                                 accessToken: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                                 previewLocator: UUID().uuidString.lowercased(),
                                 streamName: "stream")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(event).write(to: url, options: .atomic)
        } catch {
            throw ApplianceError("cannot write \(url.path): \(error.localizedDescription); check the permissions of the data directory or choose another with --data-dir")
        }
        return event
    }
}

/// Makes sure the data directory exists and is writable, with an error that says what to do.
func prepareDataDirectory(_ path: String) throws {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else {
            throw ApplianceError("data directory \(path) is a file, not a directory; choose another with --data-dir")
        }
    } else {
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ApplianceError("cannot create data directory \(path): \(error.localizedDescription); choose another with --data-dir")
        }
    }
    let probe = (path as NSString).appendingPathComponent(".write-test-\(getpid())")
    guard fm.createFile(atPath: probe, contents: Data()) else {
        throw ApplianceError("data directory \(path) is not writable; fix its permissions or choose another with --data-dir")
    }
    try? fm.removeItem(atPath: probe)
}

/// The first non-loopback IPv4 address, for URLs that a LAN encoder or player can use.
func primaryIPv4Address() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    var cursor: UnsafeMutablePointer<ifaddrs>? = first
    while let entry = cursor {
        defer { cursor = entry.pointee.ifa_next }
        guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET) else { continue }
        let flags = Int32(entry.pointee.ifa_flags)
        guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        if getnameinfo(addr, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
            let bytes = host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
    return nil
}
