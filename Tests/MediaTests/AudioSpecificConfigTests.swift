import Testing
@testable import Media

@Suite struct AudioSpecificConfigTests {
    /// DecoderSpecificInfo from ffmpeg's native AAC encoder, 48 kHz stereo and 44.1 kHz mono.
    static let aac48Stereo: [UInt8] = [0x11, 0x90]
    static let aac44Mono: [UInt8] = [0x12, 0x08]

    @Test func parsesEncoderConfigs() throws {
        let stereo = try AudioSpecificConfig(bytes: Self.aac48Stereo)
        #expect(stereo.objectType == 2 && stereo.sampleRate == 48000 && stereo.channelCount == 2)
        #expect(stereo.samplesPerFrame == 1024)
        #expect(stereo.codecString == "mp4a.40.2")
        let mono = try AudioSpecificConfig(bytes: Self.aac44Mono)
        #expect(mono.objectType == 2 && mono.sampleRate == 44100 && mono.channelCount == 1)
    }

    @Test func makesTheTwoByteForm() {
        #expect(AudioSpecificConfig.make(objectType: 2, sampleRate: 48000, channelCount: 2).bytes == Self.aac48Stereo)
        #expect(AudioSpecificConfig.make(objectType: 2, sampleRate: 44100, channelCount: 1).bytes == Self.aac44Mono)
        // 8 channels is channelConfiguration 7.
        #expect(AudioSpecificConfig.make(objectType: 2, sampleRate: 48000, channelCount: 8).bytes == [0x11, 0xB8])
    }

    @Test func makesAndParsesAnExplicitSampleRate() throws {
        // 00010 1111 <24-bit 50000> 0010 000
        let config = AudioSpecificConfig.make(objectType: 2, sampleRate: 50000, channelCount: 2)
        #expect(config.bytes == [0x17, 0x80, 0x61, 0xA8, 0x10])
        let parsed = try AudioSpecificConfig(bytes: config.bytes)
        #expect(parsed.sampleRate == 50000 && parsed.channelCount == 2 && parsed.objectType == 2)
    }

    @Test func parsesExplicitHEAACSignalling() throws {
        // SBR: 00101 0110(24k) 0010 0011(48k) 00010(AAC-LC) 000
        let sbr = try AudioSpecificConfig(bytes: [0x2B, 0x11, 0x88, 0x00])
        #expect(sbr.objectType == 5 && sbr.sampleRate == 24000 && sbr.channelCount == 2)
        #expect(sbr.codecString == "mp4a.40.5")
        // PS: 11101 0110(24k) 0001(mono core) 0011(48k) 00010 000 — plays as stereo.
        let ps = try AudioSpecificConfig(bytes: [0xEB, 0x09, 0x88, 0x00])
        #expect(ps.objectType == 29 && ps.sampleRate == 24000 && ps.channelCount == 2)
        #expect(ps.codecString == "mp4a.40.29")
    }

    @Test func readsFrameLengthFlag() throws {
        // 00010 0011 0010 1(960) 00
        let config = try AudioSpecificConfig(bytes: [0x11, 0x94])
        #expect(config.samplesPerFrame == 960)
    }

    @Test func handlesEscapedObjectTypes() {
        // 11111 001010 (31 + 6-bit: 32 + 10 = 42, USAC) 0011 0010
        var w = TestBitWriter()
        w.bits(31, 5); w.bits(10, 6); w.bits(3, 4); w.bits(2, 4); w.bits(0, 5)
        #expect {
            try AudioSpecificConfig(bytes: w.bytes)
        } throws: { error in
            guard case .unsupported(let why) = error as? MediaParseError else { return false }
            return why.contains("42")
        }
    }

    @Test func rejectsBadConfigs() {
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: []) }
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x11]) }
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x16, 0x90]) }  // index 13 reserved
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x11, 0x80]) }  // channel config 0
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x11, 0xC0]) }  // channel config 8 reserved
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x2B, 0x11]) }  // SBR, core type cut off
        #expect(throws: MediaParseError.self) { try AudioSpecificConfig(bytes: [0x17, 0x80, 0x61]) }  // explicit rate cut off
    }

    @Test func sampleRateTable() {
        #expect(AudioSpecificConfig.samplingFrequencyIndex(for: 48000) == 3)
        #expect(AudioSpecificConfig.samplingFrequencyIndex(for: 7350) == 12)
        #expect(AudioSpecificConfig.samplingFrequencyIndex(for: 5512) == nil)
        #expect(AudioSpecificConfig.samplingFrequencies.count == 13)
    }

    @Test func garbageNeverTraps() {
        var random = TestRandom(state: 5)
        for _ in 0..<5000 {
            let bytes = random.bytes(Int(random.next() % 8))
            if let config = try? AudioSpecificConfig(bytes: bytes) {
                #expect(config.sampleRate > 0 && config.channelCount > 0)
            }
        }
    }
}
