import TestSupport
import Testing
import Media
@testable import ISOBMFF

@Suite struct BoxWriterTests {
    @Test func writesAFullBoxByteExact() {
        var w = BoxWriter()
        w.fullBox("mfhd") { w in w.write(UInt32(7)) }
        #expect(w.bytes == hexBytes("00000010 6d666864 00000000 00000007"))
    }

    @Test func writesVersionAndFlags() {
        var w = BoxWriter()
        w.fullBox("tfdt", version: 1) { w in w.write(UInt64(17_000_000_000_000_000)) }
        #expect(w.bytes == hexBytes("00000014 74666474 01000000 003c6568f12e8000"))
        var t = BoxWriter()
        t.fullBox("tfhd", flags: 0x020000) { w in w.write(UInt32(1)) }
        #expect(t.bytes == hexBytes("00000010 74666864 00020000 00000001"))
    }

    @Test func patchesNestedSizes() throws {
        var w = BoxWriter()
        w.box("moof") { w in
            w.box("traf") { w in
                w.fullBox("tfhd") { w in w.write(UInt32(3)) }
                w.box("free") { w in w.writeZeros(5) }
            }
        }
        #expect(w.bytes.count == 8 + 8 + 16 + 13)
        let boxes = try Box.parseAll(w.bytes)
        #expect(boxes.count == 1 && boxes[0].size == 45)
        let traf = try #require(boxes.first(path: "moof/traf"))
        #expect(traf.size == 37)
        #expect(traf.children.map(\.type) == ["tfhd", "free"])
        #expect(traf.children[1].payload.count == 5)
    }
}
