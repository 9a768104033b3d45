import Foundation
import Media

/// Protection System Specific Header boxes (`pssh`, ISO/IEC 23001-7 §8.1) and the DRM systems' data they carry, also
/// used in manifests (DASH `cenc:pssh`, `mspr:pro`; Smooth's `ProtectionHeader`).
public enum PSSH {
    /// A `pssh` box: version 1 listing `keyIDs` when there are any (the W3C common system id and ClearKey read them),
    /// version 0 when `keyIDs` is empty (Widevine and PlayReady carry their key ids inside `data`).
    public static func box(systemID: UUID, keyIDs: [UUID], data: [UInt8]) -> [UInt8] {
        let version: UInt32 = keyIDs.isEmpty ? 0 : 1
        let size = 8 + 4 + 16 + (version == 1 ? 4 + 16 * keyIDs.count : 0) + 4 + data.count
        var out: [UInt8] = []
        out.reserveCapacity(size)
        appendUInt32(UInt32(size), to: &out)
        out.append(contentsOf: Array("pssh".utf8))
        appendUInt32(version << 24, to: &out)  // version, flags 0
        out.append(contentsOf: bytes(of: systemID))
        if version == 1 {
            appendUInt32(UInt32(keyIDs.count), to: &out)
            for keyID in keyIDs { out.append(contentsOf: bytes(of: keyID)) }
        }
        appendUInt32(UInt32(data.count), to: &out)
        out.append(contentsOf: data)
        return out
    }

    /// The `pssh` box a DRM system reads for `key` under `scheme`, or nil for FairPlay (HLS signals it with
    /// `EXT-X-KEY`, not `pssh`). ClearKey gets the W3C common system id's version 1 box with the KID; Widevine the
    /// WidevinePsshData; PlayReady the PlayReady Object with `licenseURL` and `customAttributes`.
    public static func box(for system: DRMSystem, key: ContentKey, scheme: ProtectionScheme, licenseURL: String? = nil,
                           customAttributes: String? = nil) -> [UInt8]? {
        switch system {
        case .clearKey:
            return box(systemID: DRMSystem.commonSystemID, keyIDs: [key.id], data: [])
        case .widevine:
            return box(systemID: system.systemID, keyIDs: [], data: widevineData(keyIDs: [key.id], scheme: scheme))
        case .playReady:
            return box(systemID: system.systemID, keyIDs: [],
                       data: playReadyObject(keyID: key.id, licenseURL: licenseURL, customAttributes: customAttributes, scheme: scheme))
        case .fairPlay:
            return nil
        }
    }

    /// The `pssh` boxes for every DRM system `protection` signals, for the key of one track, in the order the policy
    /// lists them (FairPlay contributes none). `licenseURL` gives a signalling's URL with its template filled in
    /// (`{ContentKeyId}`, `{AlternativeMediaId}`); by default the template is used as it is.
    public static func boxes(for protection: SchemeProtection, key: ContentKey,
                             licenseURL: (DRMSignalling) -> String? = { $0.licenseURLTemplate }) -> [[UInt8]] {
        protection.drm.compactMap { signalling in
            box(for: signalling.system, key: key, scheme: protection.scheme, licenseURL: licenseURL(signalling),
                customAttributes: signalling.customAttributes)
        }
    }

    // MARK: - Widevine

    /// WidevinePsshData (protobuf): `key_id` (field 2) per key, `content_id` (field 4) when given, and
    /// `protection_scheme` (field 9, the scheme's FourCC as a big-endian number) for `cbcs`; `cenc` is Widevine's
    /// default and is left out.
    public static func widevineData(keyIDs: [UUID], contentID: [UInt8]? = nil, scheme: ProtectionScheme = .cenc) -> [UInt8] {
        var out: [UInt8] = []
        for keyID in keyIDs {
            out.append(0x12)  // field 2, length-delimited
            appendVarint(16, to: &out)
            out.append(contentsOf: bytes(of: keyID))
        }
        if let contentID {
            out.append(0x22)  // field 4, length-delimited
            appendVarint(UInt64(contentID.count), to: &out)
            out.append(contentsOf: contentID)
        }
        if scheme == .cbcs {
            out.append(0x48)  // field 9, varint
            appendVarint(0x6362_6373, to: &out)  // 'cbcs'
        }
        return out
    }

    // MARK: - PlayReady

    /// The PlayReady Object: a little-endian header (total length, record count 1) and one PlayReady Rights Management
    /// Header record (type 1) holding the WRMHEADER XML in UTF-16LE. `cenc` writes version 4.0.0.0 (AESCTR); `cbcs`
    /// version 4.3.0.0 with `ALGID="AESCBC"`, which PlayReady 4 clients need for cbcs. The KID is the key id as a
    /// GUID (first three fields little-endian), base64. `licenseURL` becomes `LA_URL` (escaped); `customAttributes`
    /// is XML written verbatim into `CUSTOMATTRIBUTES` when it looks like markup (starts with `<`), escaped text
    /// otherwise.
    public static func playReadyObject(keyID: UUID, licenseURL: String? = nil, customAttributes: String? = nil,
                                       scheme: ProtectionScheme) -> [UInt8] {
        let kid = Data(playReadyKeyIDBytes(keyID)).base64EncodedString()
        var data = ""
        if scheme == .cbcs {
            data += "<PROTECTINFO><KIDS><KID ALGID=\"AESCBC\" VALUE=\"\(kid)\"></KID></KIDS></PROTECTINFO>"
        } else {
            data += "<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>\(kid)</KID>"
        }
        if let licenseURL { data += "<LA_URL>\(XMLText.escaped(licenseURL))</LA_URL>" }
        if let customAttributes, !customAttributes.isEmpty {
            let trimmed = customAttributes.trimmingCharacters(in: .whitespacesAndNewlines)
            data += "<CUSTOMATTRIBUTES>\(trimmed.hasPrefix("<") ? trimmed : XMLText.escaped(trimmed))</CUSTOMATTRIBUTES>"
        }
        let version = scheme == .cbcs ? "4.3.0.0" : "4.0.0.0"
        let xml = "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" version=\"\(version)\"><DATA>\(data)</DATA></WRMHEADER>"
        var record: [UInt8] = []
        record.reserveCapacity(xml.utf16.count * 2)
        for unit in xml.utf16 { record.append(UInt8(truncatingIfNeeded: unit)); record.append(UInt8(truncatingIfNeeded: unit >> 8)) }
        var out: [UInt8] = []
        out.reserveCapacity(10 + record.count)
        appendUInt32LE(UInt32(10 + record.count), to: &out)
        appendUInt16LE(1, to: &out)  // one record
        appendUInt16LE(1, to: &out)  // type 1: rights management header
        appendUInt16LE(UInt16(clamping: record.count), to: &out)
        out.append(contentsOf: record)
        return out
    }

    /// ``playReadyObject(keyID:licenseURL:customAttributes:scheme:)`` in base64: DASH's `mspr:pro` and Smooth's
    /// `ProtectionHeader`.
    public static func playReadyObjectBase64(keyID: UUID, licenseURL: String? = nil, customAttributes: String? = nil,
                                             scheme: ProtectionScheme) -> String {
        Data(playReadyObject(keyID: keyID, licenseURL: licenseURL, customAttributes: customAttributes, scheme: scheme)).base64EncodedString()
    }

    /// A key id in PlayReady's GUID byte order: Data1 (4 bytes), Data2 and Data3 (2 bytes each) little-endian, the last
    /// 8 bytes as written.
    public static func playReadyKeyIDBytes(_ keyID: UUID) -> [UInt8] {
        let b = bytes(of: keyID)
        return [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8...]
    }

    // MARK: - Bytes

    /// A UUID's 16 bytes in the order its string form shows them (how boxes carry system ids and KIDs).
    static func bytes(of uuid: UUID) -> [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    private static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    private static func appendUInt32LE(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, through: 24, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    private static func appendUInt16LE(_ v: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v)); out.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }
}
