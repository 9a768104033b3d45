// Date, duration and decimal formatting used by every manifest.

import Foundation
import Testing
@testable import Packaging

@Suite struct ManifestTextTests {
    @Test func dateTimeMatchesFoundationAcrossCenturiesAndLeapDays() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let samples: [Int64] = [0, 1, 999, 86_399_999, 951_782_400_000 /* 2000-02-29 */, 1_700_000_000_123,
                                4_107_542_399_999 /* 2100-02-28T23:59:59.999 */, 253_402_300_799_000, -1, -86_400_001]
        for ms in samples {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(ManifestText.dateTime(millisecondsSince1970: ms) == expected, "ms \(ms)")
        }
        #expect(ManifestText.dateTime(millisecondsSince1970: 0, alwaysMilliseconds: false) == "1970-01-01T00:00:00Z")
        #expect(ManifestText.dateTime(ticks: 15_447_164_594_627_600, timescale: 10_000_000) == "2018-12-13T15:54:19.462Z")
    }

    @Test func isoDurations() {
        #expect(ManifestText.duration(seconds: 0) == "PT0S")
        #expect(ManifestText.duration(seconds: 2) == "PT2S")
        #expect(ManifestText.duration(seconds: 2.4) == "PT2.4S")
        #expect(ManifestText.duration(seconds: 90) == "PT1M30S")
        #expect(ManifestText.duration(seconds: 3600) == "PT1H")
        #expect(ManifestText.duration(seconds: 3600.25) == "PT1H0.25S")
        #expect(ManifestText.duration(ticks: 300_000_000, timescale: 10_000_000) == "PT30S")
        #expect(ManifestText.duration(ticks: -5, timescale: 1000) == "PT0S")
    }

    @Test func decimalsAreExactAndRounded() {
        #expect(ManifestText.decimal(ticks: 20_000_000, timescale: 10_000_000, places: 6) == "2.000000")
        #expect(ManifestText.decimal(ticks: 20_053_333, timescale: 10_000_000, places: 6) == "2.005333")
        #expect(ManifestText.decimal(ticks: 19_999_999_9, timescale: 100_000_000, places: 6) == "2.000000")
        #expect(ManifestText.decimal(ticks: 1024, timescale: 48_000, places: 6) == "0.021333")
        #expect(ManifestText.decimal(29.97, places: 3) == "29.970")
    }

    @Test func escaping() {
        #expect(ManifestText.xmlAttribute(#"a&b<c>"d'e"#) == "a&amp;b&lt;c&gt;&quot;d&apos;e")
        #expect(ManifestText.hlsQuoted("say \"hi\"\nnow") == "\"say 'hi' now\"")
    }
}
