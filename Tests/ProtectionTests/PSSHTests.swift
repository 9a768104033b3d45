// pssh boxes and the DRM systems' data, byte for byte.
import Foundation
import Testing
import TestSupport
@testable import Protection

@Suite struct PSSHTests {
    static let kid = UUID(uuidString: "6F651AE1-DBE4-4434-BCB4-690D1564C41C")!
    static let kidBytes = hexBytes("6f651ae1dbe44434bcb4690d1564c41c")
    static let key = ContentKey(id: kid, value: [UInt8](repeating: 7, count: 16))

    @Test func commonSystemBoxIsVersionOneWithTheKeyIDs() {
        let box = PSSH.box(systemID: DRMSystem.commonSystemID, keyIDs: [Self.kid], data: [])
        #expect(box == hexBytes("00000034 70737368 01000000 1077efecc0b24d02ace33c1e52e2fb4b 00000001") + Self.kidBytes + [0, 0, 0, 0])
        #expect(PSSH.box(for: .clearKey, key: Self.key, scheme: .cenc) == box)
    }

    @Test func widevineBoxIsVersionZeroWithTheProtobuf() {
        let data = PSSH.widevineData(keyIDs: [Self.kid])
        #expect(data == [0x12, 0x10] + Self.kidBytes)
        let box = PSSH.box(systemID: DRMSystem.widevine.systemID, keyIDs: [], data: data)
        #expect(box == hexBytes("00000032 70737368 00000000 edef8ba979d64acea3c827dcd51d21ed 00000012") + data)
        #expect(PSSH.box(for: .widevine, key: Self.key, scheme: .cenc) == box)
    }

    @Test func widevineDataNamesCBCSAndTheContentID() {
        let data = PSSH.widevineData(keyIDs: [Self.kid, Self.kid], contentID: Array("event-1".utf8), scheme: .cbcs)
        let expected: [UInt8] = [0x12, 0x10] + Self.kidBytes + [0x12, 0x10] + Self.kidBytes
            + [0x22, 7] + Array("event-1".utf8)
            + [0x48, 0xF3, 0xC6, 0x89, 0x9B, 0x06]  // field 9 = varint 0x63626373 ('cbcs')
        #expect(data == expected)
    }

    /// The PlayReady Object's XML, after checking its header fields.
    func playReadyXML(_ object: [UInt8]) throws -> String {
        func le16(_ at: Int) -> Int { Int(object[at]) | Int(object[at + 1]) << 8 }
        let total = le16(0) | le16(2) << 16
        #expect(total == object.count)
        #expect(le16(4) == 1, "one record")
        #expect(le16(6) == 1, "a rights management header")
        #expect(le16(8) == object.count - 10)
        let units = stride(from: 10, to: object.count, by: 2).map { UInt16(le16($0)) }
        return String(decoding: units, as: UTF16.self)
    }

    @Test func playReadyObjectForCENCIsVersion4_0WithTheGUIDOrderKID() throws {
        let object = PSSH.playReadyObject(keyID: Self.kid, licenseURL: "https://lic.example/pr?a=1&b=2",
                                          customAttributes: "<IIS_DRM_VERSION>8.1</IIS_DRM_VERSION>", scheme: .cenc)
        let xml = try playReadyXML(object)
        #expect(xml == """
            <WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0"><DATA>\
            <PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>4Rplb+TbNES8tGkNFWTEHA==</KID>\
            <LA_URL>https://lic.example/pr?a=1&amp;b=2</LA_URL>\
            <CUSTOMATTRIBUTES><IIS_DRM_VERSION>8.1</IIS_DRM_VERSION></CUSTOMATTRIBUTES></DATA></WRMHEADER>
            """)
        #expect(PSSH.playReadyKeyIDBytes(Self.kid) == hexBytes("e11a656fe4db3444bcb4690d1564c41c"))
        let base64 = PSSH.playReadyObjectBase64(keyID: Self.kid, licenseURL: "https://lic.example/pr?a=1&b=2",
                                                customAttributes: "<IIS_DRM_VERSION>8.1</IIS_DRM_VERSION>", scheme: .cenc)
        #expect(Data(base64Encoded: base64).map(Array.init) == object)
        let box = try #require(PSSH.box(for: .playReady, key: Self.key, scheme: .cenc))
        #expect(Array(box[12..<28]) == hexBytes("9a04f07998404286ab92e65be0885f95") && box[8] == 0)
    }

    @Test func playReadyObjectForCBCSIsVersion4_3WithAESCBC() throws {
        let xml = try playReadyXML(PSSH.playReadyObject(keyID: Self.kid, customAttributes: "plain & simple", scheme: .cbcs))
        #expect(xml == """
            <WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.3.0.0"><DATA>\
            <PROTECTINFO><KIDS><KID ALGID="AESCBC" VALUE="4Rplb+TbNES8tGkNFWTEHA=="></KID></KIDS></PROTECTINFO>\
            <CUSTOMATTRIBUTES>plain &amp; simple</CUSTOMATTRIBUTES></DATA></WRMHEADER>
            """)
    }

    @Test func fairPlayHasNoPSSH() {
        #expect(PSSH.box(for: .fairPlay, key: Self.key, scheme: .cbcs) == nil)
    }

    @Test func aSchemesSignallingGivesItsBoxesInOrder() {
        let protection = SchemeProtection(scheme: .cbcs, protocols: [.dash], defaultKey: Self.key, drm: [
            DRMSignalling(system: .widevine), DRMSignalling(system: .fairPlay),
            DRMSignalling(system: .playReady, licenseURLTemplate: "https://pr/{ContentKeyId}", customAttributes: "x"),
        ])
        let boxes = PSSH.boxes(for: protection, key: Self.key) { $0.licenseURLTemplate?.replacingOccurrences(of: "{ContentKeyId}", with: "k") }
        #expect(boxes == [
            PSSH.box(systemID: DRMSystem.widevine.systemID, keyIDs: [], data: PSSH.widevineData(keyIDs: [Self.kid], scheme: .cbcs)),
            PSSH.box(systemID: DRMSystem.playReady.systemID, keyIDs: [],
                     data: PSSH.playReadyObject(keyID: Self.kid, licenseURL: "https://pr/k", customAttributes: "x", scheme: .cbcs)),
        ])
    }
}
