// Which scheme a request gets from a locator's protection plan, and the service's refusals.

import Foundation
import Protection
import Testing

struct ProtectionPlanTests {
    static func key(_ byte: UInt8) -> ContentKey {
        ContentKey(id: UUID(uuid: (byte, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, byte)), value: [UInt8](repeating: byte, count: 16))
    }

    /// `Predefined_MultiDrmStreaming`: CENC for DASH and Smooth, CBCS for HLS.
    static let multiDRM = ProtectionPlan(schemes: [
        SchemeProtection(scheme: .cenc, protocols: [.dash, .smoothStreaming], defaultKey: key(1), drm: [DRMSignalling(system: .widevine)]),
        SchemeProtection(scheme: .cbcs, protocols: [.hls], defaultKey: key(2), drm: [DRMSignalling(system: .fairPlay)]),
    ])

    @Test func theOnlySchemeOfAProtocolNeedsNoEncryptionOption() throws {
        #expect(try Self.multiDRM.scheme(asked: nil, for: .dash).get().scheme == .cenc)
        #expect(try Self.multiDRM.scheme(asked: nil, for: .hls).get().scheme == .cbcs)
        #expect(try Self.multiDRM.scheme(asked: .cenc, for: .smoothStreaming).get().defaultKey == Self.key(1))
    }

    @Test func aSchemeThePolicyDoesNotEnableForTheProtocolIsRefused() {
        guard case .failure(let refusal) = Self.multiDRM.scheme(asked: .cbcs, for: .dash) else { Issue.record("served"); return }
        #expect(refusal.code == "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY")
        #expect(refusal.message.contains("encryption=cenc"))
        guard case .failure(let envelope) = Self.multiDRM.scheme(asked: .envelope, for: .hls) else { Issue.record("served"); return }
        #expect(envelope.code == "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY")
    }

    @Test func aProtocolWithoutASchemeIsRefusedWithoutTheOption() {
        let cencOnly = ProtectionPlan(schemes: [SchemeProtection(scheme: .cenc, protocols: [.dash, .smoothStreaming], defaultKey: Self.key(1))])
        guard case .failure(let refusal) = cencOnly.scheme(asked: nil, for: .hls) else { Issue.record("served clear"); return }
        #expect(refusal.code == "MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL")
        #expect(refusal.message.contains("dash, smoothStreaming"))
    }

    @Test func clearTracksAndPerTrackKeys() {
        let audioKey = Self.key(9)
        let scheme = SchemeProtection(scheme: .cbcs, protocols: [.hls], defaultKey: Self.key(2),
                                      trackKeys: [(match: TrackMatch(fourCCs: ["MP4A"]), key: audioKey)],
                                      clearTracks: [TrackMatch(fourCCs: ["hvc1"])])
        #expect(scheme.key(forFourCC: "avc1") == Self.key(2))
        #expect(scheme.key(forFourCC: "mp4a") == audioKey)
        #expect(scheme.key(forFourCC: "hvc1") == nil)
        #expect(scheme.keys.map(\.id) == [Self.key(2).id, audioKey.id])
    }

    @Test func keyIDBytesAreTheUUIDInOrder() {
        let id = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!
        let key = ContentKey(id: id, value: [UInt8](repeating: 0, count: 16))
        #expect(key.idBytes == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
    }
}
