// Fuzz target: the configuration file (`/etc/edgelive/edgelive.conf`, INI) as `edgelive serve` reads it at start-up:
// parsed, applied to the defaults, and the channel configuration derived from it.
// Invariant: a file that parses and applies yields a configuration the daemon can start with (ports are TCP ports,
// the window at least 10 s) without trapping; a malformed file is a ConfigurationError, never a crash.
@testable import Appliance

@_cdecl("LLVMFuzzerTestOneInput")
public func configFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let file = try? ConfigurationFile(text: text) else { return 0 }
    for (section, keys) in ConfigurationFile.knownKeys {
        for key in keys {
            _ = try? file.integer(section, key)
            _ = file.list(section, key)
        }
    }
    var configuration = ApplianceConfiguration()
    guard (try? configuration.apply(file)) != nil else { return 0 }
    precondition((0...65535).contains(configuration.httpPort) && configuration.windowSeconds >= 10)
    _ = configuration.channelConfiguration
    return 0
}
