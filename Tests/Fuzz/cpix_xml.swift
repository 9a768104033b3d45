// Fuzz target: the XML reader `edgelive locator create --cpix FILE` reads key documents with.
// Invariant: any bytes give a tree or an XMLLiteError, never a crash, a hang or unbounded memory; a tree's elements
// all have names, and an element's local name is the end of its qualified name.
@testable import Client

@_cdecl("LLVMFuzzerTestOneInput")
public func cpixXMLFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let root = try? XMLLiteReader.parse(text) else { return 0 }
    var pending = [root]
    while let element = pending.popLast() {
        precondition(!element.name.isEmpty && element.name.hasSuffix(element.localName))
        pending.append(contentsOf: element.children)
    }
    return 0
}
