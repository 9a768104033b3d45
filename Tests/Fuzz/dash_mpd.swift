// Fuzz target: the DASH manifest a DASH-IF ingest source POSTs (a lenient tag scan), and the matching of segment
// file names against its templates.
// Beyond "no crash": each Representation's templates, filled in the simple way, are matched against the manifest
// (the matcher walks templates with formatted identifiers such as $Number%05d$, where a slip would trap or hang).
@testable import Ingest

@_cdecl("LLVMFuzzerTestOneInput")
public func dashMPDFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let manifest = DASHIngestManifest(text: text)
    for representation in manifest.representations.prefix(8) {
        for template in [representation.initialization, representation.media].compactMap({ $0 }) {
            let file = template.replacingAll("$RepresentationID$", with: representation.id)
                .replacingAll("$Number$", with: "1").replacingAll("$Time$", with: "0").replacingAll("$Bandwidth$",
                with: representation.bandwidth.map(String.init) ?? "0")
            _ = manifest.representation(forFile: file)
        }
    }
    _ = manifest.representation(forFile: "chunk-stream0-00001.m4s")
    return 0
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
