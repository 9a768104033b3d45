// What manifests signal for protected requests: HLS key lines (per-segment envelope IVs, common encryption key systems),
// DASH ContentProtection with its namespaces, the Smooth PlayReady header, and tracks a policy leaves clear.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Media
@testable import Packaging
import Testing

struct ManifestProtectionTests {
    static let kid = UUID(uuidString: "0B9FBB66-8C0E-4B46-A3A4-0E7E4C61E5D1")!
    static let widevine = KeySystemSignal(system: .widevine, systemID: UUID(uuidString: "EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED")!,
                                          psshBase64: "AAAAMnBzc2g=")
    static let playReady = KeySystemSignal(system: .playReady, systemID: UUID(uuidString: "9A04F079-9840-4286-AB92-E65BE0885F95")!,
                                           psshBase64: "AAAAPnBzc2g=", playReadyObjectBase64: "UFJP")
    static let clearKey = KeySystemSignal(system: .clearKey, systemID: UUID(uuidString: "E2719D58-A985-B3C9-781A-B030AF78D30E")!,
                                          psshBase64: "AAAANHBzc2g=", licenseURL: "http://box:8080/keydelivery/ClearKey/",
                                          keyURL: "http://box:8080/keydelivery/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1")
    static let fairPlay = KeySystemSignal(system: .fairPlay, systemID: UUID(uuidString: "94CE86FB-07FF-4F43-ADB8-93D2FA968CA2")!,
                                          licenseURL: "http://box:8080/keydelivery/FairPlay/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1")

    static let cbcs = ManifestProtection(defaultSignal: TrackProtectionSignal(method: .cbcs, keyID: kid, systems: [fairPlay, widevine]))
    static let cenc = ManifestProtection(defaultSignal: TrackProtectionSignal(method: .cenc, keyID: kid, systems: [widevine, playReady, clearKey]))
    static let envelope = ManifestProtection(defaultSignal: TrackProtectionSignal(
        method: .envelope, keyID: kid, envelopeKeyURL: "http://box:8080/keydelivery/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1"))

    @Test func envelopeIVIsTheSegmentTimeBigEndian() {
        #expect(ManifestProtection.envelopeIV(segmentTime: 0x0102_0304_0506_0708) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func envelopeTSPlaylistKeysEverySegmentWithItsTime() throws {
        var options = ManifestOptions(format: .hlsV4, encryption: "cbc")
        options.protection = Self.envelope
        let presentation = Fixtures.live
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: options)
        let lines = text.split(separator: "\n").map(String.init)
        let keys = lines.filter { $0.hasPrefix("#EXT-X-KEY") }
        let segments = lines.filter { $0.hasPrefix("Fragments(") }
        #expect(keys.count == segments.count && !keys.isEmpty)
        // Each key line comes right before its segment's tags and names the segment's own time as IV.
        for (key, segment) in zip(keys, segments) {
            let time = try #require(Int64(segment.split(separator: "=")[1].split(separator: ",")[0]))
            let iv = ManifestProtection.envelopeIV(segmentTime: time).map { String(format: "%02x", $0) }.joined()
            #expect(key == "#EXT-X-KEY:METHOD=AES-128,URI=\"http://box:8080/keydelivery/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1\",IV=0x\(iv)")
        }
    }

    @Test func envelopeCMAFKeepsEveryMapClear() throws {
        var options = ManifestOptions(format: .hlsCMAF, encryption: "cbc")
        options.protection = Self.envelope
        let presentation = Fixtures.live
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: options)
        let lines = text.split(separator: "\n").map(String.init)
        // A map after a key line would be encrypted with it (RFC 8216 §4.3.2.4): METHOD=NONE comes between.
        for (index, line) in lines.enumerated() where line.hasPrefix("#EXT-X-MAP") {
            let previousKey = lines[..<index].last { $0.hasPrefix("#EXT-X-KEY") }
            #expect(previousKey == nil || previousKey == "#EXT-X-KEY:METHOD=NONE", "\(line) follows \(previousKey ?? "")")
        }
        #expect(lines.filter { $0.hasPrefix("#EXT-X-MAP") }.count == 2)
        #expect(lines.filter { $0.hasPrefix("#EXT-X-KEY:METHOD=AES-128") }.count == presentation.tracks[0].segments.count)
    }

    @Test func cencCMAFPlaylistSignalsSampleAESCTROnce() throws {
        var options = ManifestOptions(format: .hlsCMAF, encryption: "cenc")
        options.protection = Self.cenc
        let presentation = Fixtures.vod
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: options)
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-KEY") }
        #expect(keys == [
            "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,AAAAMnBzc2g=\",KEYID=0x0b9fbb668c0e4b46a3a40e7e4c61e5d1,KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\",KEYFORMATVERSIONS=\"1\"",
            "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;charset=UTF-16;base64,UFJP\",KEYFORMAT=\"com.microsoft.playready\",KEYFORMATVERSIONS=\"1\"",
            "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"http://box:8080/keydelivery/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1\",KEYID=0x0b9fbb668c0e4b46a3a40e7e4c61e5d1,KEYFORMAT=\"identity\"",
        ])
    }

    @Test func dashSignalsTheSchemeTheDefaultKIDAndEverySystem() throws {
        var options = ManifestOptions(format: .dashCMAF, encryption: "cenc")
        options.protection = Self.cenc
        let text = DASHBuilder.mpd(Fixtures.vod, options: options, now: Date(timeIntervalSince1970: 1_700_000_100), utcTimingURL: nil)
        #expect(text.contains("xmlns:cenc=\"urn:mpeg:cenc:2013\""))
        #expect(text.contains("xmlns:mspr=\"urn:microsoft:playready\""))
        let schemes = text.components(separatedBy: "<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cenc\" "
                                      + "cenc:default_KID=\"0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1\"/>").count - 1
        #expect(schemes == 2, "one per adaptation set")
        #expect(text.contains("""
                  <ContentProtection schemeIdUri="urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95" value="MSPR 2.0">
                    <cenc:pssh>AAAAPnBzc2g=</cenc:pssh>
                    <mspr:pro>UFJP</mspr:pro>
                  </ContentProtection>
            """))
        #expect(text.contains("<clearkey:Laurl Lic_type=\"EME-1.0\">http://box:8080/keydelivery/ClearKey/</clearkey:Laurl>"))
        // XML that parses.
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test func clearTracksStayUnsignalled() throws {
        var options = ManifestOptions(format: .dashCMAF, encryption: "cbcs-aapl")
        options.protection = ManifestProtection(defaultSignal: Self.cbcs.defaultSignal, byFourCC: ["mp4a": TrackProtectionSignal?.none])
        let text = DASHBuilder.mpd(Fixtures.vod, options: options, now: Date(timeIntervalSince1970: 1_700_000_100), utcTimingURL: nil)
        let sets = text.components(separatedBy: "<AdaptationSet ").dropFirst()
        let video = try #require(sets.first { $0.contains("contentType=\"video\"") })
        let audio = try #require(sets.first { $0.contains("contentType=\"audio\"") })
        #expect(video.contains("value=\"cbcs\""))
        #expect(!audio.contains("ContentProtection"))
        // FairPlay is HLS-only: DASH signals the others.
        #expect(!text.contains("94ce86fb"))
    }

    @Test func smoothCarriesThePlayReadyHeaderBeforeTheStreams() {
        var options = ManifestOptions(format: .smooth, encryption: "cenc")
        options.protection = Self.cenc
        let text = SmoothBuilder.manifest(Fixtures.vod, options: options)
        let protection = text.range(of: "<ProtectionHeader SystemID=\"9a04f079-9840-4286-ab92-e65be0885f95\">UFJP</ProtectionHeader>")
        let firstStream = text.range(of: "<StreamIndex")
        #expect(protection != nil && firstStream != nil && protection!.lowerBound < firstStream!.lowerBound)
    }
}
