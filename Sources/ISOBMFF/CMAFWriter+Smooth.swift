import Media

// Smooth Streaming fragments ([MS-SSTR] §2.2.4): the canonical CMAF fragment's samples in a `moof` + `mdat` with the
// Smooth extensions a Smooth client reads — `tfxd` (the fragment's absolute time and duration) and, while live, `tfrf`
// (the fragments that follow, so a client can extend its timeline without refetching the manifest).

extension CMAFWriter {
    /// `uuid` user type of `TfxdBox`: 6D1D9B05-42D5-44E6-80E2-141DAFF757B2.
    public static let tfxdUserType: [UInt8] = [0x6D, 0x1D, 0x9B, 0x05, 0x42, 0xD5, 0x44, 0xE6,
                                               0x80, 0xE2, 0x14, 0x1D, 0xAF, 0xF7, 0x57, 0xB2]
    /// `uuid` user type of `TfrfBox`: D4807EF2-CA39-4695-8E54-26CB9E46A79F.
    public static let tfrfUserType: [UInt8] = [0xD4, 0x80, 0x7E, 0xF2, 0xCA, 0x39, 0x46, 0x95,
                                               0x8E, 0x54, 0x26, 0xCB, 0x9E, 0x46, 0xA7, 0x9F]

    /// A fragment that follows another, as `tfrf` announces it (track timescale).
    public struct FragmentReference: Sendable, Hashable {
        public var time: Int64
        public var duration: Int64
        public init(time: Int64, duration: Int64) {
            self.time = time
            self.duration = duration
        }
    }

    /// A Smooth Streaming fragment: `moof` (`mfhd`, `traf` with `tfhd`, `tfdt`, `trun`, `tfxd` and, when
    /// `following` is not nil, `tfrf`) and `mdat`.
    ///
    /// Unlike the canonical fragment there is no `styp` and `tfhd` has no `default-base-is-moof` flag (Smooth
    /// clients predate it; for the only `traf` the base is the `moof` anyway). `trun` is version 0 unless a
    /// composition offset is negative, which only version 1 can carry. `tfdt` is kept: clients that rebuild the
    /// fragment for MSE (dash.js, Shaka) use it when present, and plain ISO readers need it.
    public static func smoothFragment(trackID: UInt32, sequenceNumber: UInt32, samples: [FragmentSample],
                                      duration: Int64, following: [FragmentReference]?) -> [UInt8] {
        precondition(!samples.isEmpty, "a Smooth fragment needs at least one sample")
        precondition(samples[0].decodeTime >= 0, "tfxd cannot carry a negative time")
        let hasOffsets = samples.contains { $0.compositionOffset != 0 }
        let negativeOffsets = samples.contains { $0.compositionOffset < 0 }
        let dataSize = samples.reduce(0) { $0 + $1.data.count }
        let total = smoothFragmentSize(sampleCount: samples.count, dataSize: dataSize, hasCompositionOffsets: hasOffsets,
                                       followingCount: following?.count)
        var w = BoxWriter(capacity: total)
        var dataOffsetIndex = 0
        w.box("moof") { w in
            w.fullBox("mfhd") { w in w.write(sequenceNumber) }
            w.box("traf") { w in
                w.fullBox("tfhd") { w in w.write(trackID) }
                w.fullBox("tfdt", version: 1) { w in w.write(UInt64(samples[0].decodeTime)) }
                var flags = TrackRun.dataOffsetPresent | TrackRun.sampleDurationPresent | TrackRun.sampleSizePresent
                    | TrackRun.sampleFlagsPresent
                if hasOffsets { flags |= TrackRun.sampleCompositionTimeOffsetsPresent }
                w.fullBox("trun", version: negativeOffsets ? 1 : 0, flags: flags) { w in
                    w.write(UInt32(samples.count))
                    dataOffsetIndex = w.count
                    w.write(UInt32(0))  // patched once the moof size is known
                    for sample in samples {
                        w.write(sample.duration)
                        w.write(UInt32(sample.data.count))
                        w.write(sample.isSync ? SampleFlags.sync : SampleFlags.nonSync)
                        if hasOffsets { w.write(sample.compositionOffset) }
                    }
                }
                uuidFullBox(&w, tfxdUserType, version: 1) { w in
                    w.write(UInt64(samples[0].decodeTime))
                    w.write(UInt64(max(0, duration)))
                }
                if let following {
                    uuidFullBox(&w, tfrfUserType, version: 1) { w in
                        w.write(UInt8(clamping: following.count))
                        for reference in following.prefix(255) {
                            w.write(UInt64(max(0, reference.time)))
                            w.write(UInt64(max(0, reference.duration)))
                        }
                    }
                }
            }
        }
        w.patch(UInt32(w.count + 8), at: dataOffsetIndex)
        precondition(8 + dataSize <= Int(UInt32.max), "fragment data exceeds 4 GiB")
        w.box("mdat") { w in
            for sample in samples { w.write(contentsOf: sample.data) }
        }
        let bytes = w.bytes
        assert(bytes.count == total, "smoothFragmentSize disagrees with the writer")
        return bytes
    }

    /// Exact byte size of ``smoothFragment(trackID:sequenceNumber:samples:duration:following:)`` without writing it.
    public static func smoothFragmentSize(sampleCount: Int, dataSize: Int, hasCompositionOffsets: Bool,
                                          followingCount: Int?) -> Int {
        let mfhd = 16, tfhd = 16, tfdt = 20
        let trun = 20 + sampleCount * (hasCompositionOffsets ? 16 : 12)
        let tfxd = 8 + 16 + 4 + 16
        let tfrf = followingCount.map { 8 + 16 + 4 + 1 + 16 * min($0, 255) } ?? 0
        let moof = 8 + mfhd + 8 + tfhd + tfdt + trun + tfxd + tfrf
        return moof + 8 + dataSize
    }

    /// A `uuid` box with a full-box header after the extended type, as the Smooth boxes are defined.
    private static func uuidFullBox(_ w: inout BoxWriter, _ userType: [UInt8], version: UInt8,
                                    _ body: (inout BoxWriter) -> Void) {
        w.begin("uuid")
        w.write(contentsOf: userType)
        w.write(UInt32(version) << 24)
        body(&w)
        w.end()
    }
}
