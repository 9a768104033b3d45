import Testing
@testable import AMSModels

@Suite struct ISO8601DurationTests {
    @Test(arguments: [
        ("PT2S", 2.0), ("PT1H", 3600.0), ("PT0.5S", 0.5), ("P1DT2H", 93_600.0), ("PT30M", 1800.0),
        ("PT1H30M", 5400.0), ("pt6s", 6.0), ("P1W", 604_800.0), ("PT0,25S", 0.25), ("P2D", 172_800.0), ("PT0S", 0.0),
    ])
    func parses(text: String, seconds: Double) throws {
        #expect(try ISO8601Duration(parsing: text).seconds == seconds)
    }

    @Test(arguments: [
        (2.0, "PT2S"), (3600.0, "PT1H"), (0.5, "PT0.5S"), (93_600.0, "PT26H"), (1800.0, "PT30M"),
        (5400.5, "PT1H30M0.5S"), (0.0, "PT0S"), (90_000.0, "PT25H"), (0.125, "PT0.125S"),
    ])
    func formats(seconds: Double, text: String) throws {
        let duration = ISO8601Duration(seconds: seconds)
        #expect(duration.iso8601 == text)
        #expect(try ISO8601Duration(parsing: text) == duration)
    }

    @Test(arguments: ["", "P", "PT", "2S", "PTS", "PT2", "P1Y", "P1M", "PT1S2H", "PT1M1M", "P2S", "PT1.5H30M", "PTxS", "PT.5S", "PT1HT2M", "P1DT"])
    func rejectsGarbage(text: String) {
        #expect(throws: ISO8601DurationError.self) { try ISO8601Duration(parsing: text) }
    }

    @Test func errorMessageNamesTheTextAndReason() {
        #expect {
            try ISO8601Duration(parsing: "P1Y")
        } throws: { error in
            let message = String(describing: error)
            return message.contains("'P1Y'") && message.contains("years and months")
        }
    }

    @Test func convertsToAndFromSwiftDuration() {
        let d = ISO8601Duration(.milliseconds(1500))
        #expect(d.seconds == 1.5)
        #expect(d.duration == .milliseconds(1500))
        #expect(d.iso8601 == "PT1.5S")
    }
}

extension ISO8601DurationTests {
    @Test func modelAccessorsParseDurationFields() {
        let properties = LiveOutputProperties(archiveWindowLength: "PT1H30M", rewindWindowLength: "garbage")
        #expect(properties.archiveWindow?.seconds == 5400)
        #expect(properties.rewindWindow == nil)
        #expect(LiveEventInput(keyFrameIntervalDuration: "PT2S").keyFrameInterval?.duration == .seconds(2))
    }
}
