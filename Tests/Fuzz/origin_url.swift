// Fuzz target: the origin's URL grammar (streaming paths: manifests, media playlists, fragments, key frames).
// Invariant: a path that parses renders back (OriginPaths.path(for:)) to a path that parses to the same request.
@testable import Packaging

@_cdecl("LLVMFuzzerTestOneInput")
public func originURLFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let request = try? OriginRequest.parse(path: path) else { return 0 }
    let rendered = OriginPaths.path(for: request)
    let again: OriginRequest
    do { again = try OriginRequest.parse(path: rendered) } catch {
        fatalError("'\(path)' parsed to \(request), rendered as '\(rendered)', which does not parse: \(error)")
    }
    guard again == request else {
        fatalError("'\(path)' parsed to \(request), rendered as '\(rendered)', which parses to \(again)")
    }
    return 0
}
