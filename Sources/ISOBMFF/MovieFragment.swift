import Media

/// One sample of a parsed movie fragment; `data` shares storage with the fragment's bytes (no copy).
public struct FragmentSample: Sendable, Hashable {
    public var decodeTime: Int64
    /// `pts - dts` in the track timescale.
    public var compositionOffset: Int32
    public var duration: UInt32
    public var isSync: Bool
    public var data: ArraySlice<UInt8>

    public init(decodeTime: Int64, compositionOffset: Int32 = 0, duration: UInt32, isSync: Bool, data: ArraySlice<UInt8>) {
        self.decodeTime = decodeTime
        self.compositionOffset = compositionOffset
        self.duration = duration
        self.isSync = isSync
        self.data = data
    }

    /// The same sample as a ``Sample`` (copies the data).
    public init(_ sample: Sample) {
        self.init(decodeTime: sample.decodeTime, compositionOffset: sample.compositionOffset, duration: sample.duration,
                  isSync: sample.isSync, data: sample.data[...])
    }

    public var presentationTime: Int64 { decodeTime + Int64(compositionOffset) }
    public var endTime: Int64 { decodeTime + Int64(duration) }
}

/// A movie fragment (`[styp] moof mdat`) of one track, read back into samples: what remuxing into MPEG-TS or the
/// Smooth Streaming fragment form starts from. Only the single-track fragments this project writes (and those any
/// CMAF packager writes) are accepted: one `traf` per `moof`, sample data in the `mdat` that follows each `moof`.
/// A fragment made of CMAF chunks (`styp moof mdat moof mdat …`, low-latency channels) reads as one fragment: the
/// samples of every chunk in order, the header fields of the first.
public struct MovieFragment: Sendable {
    public var sequenceNumber: UInt32
    public var trackID: UInt32
    /// `tfdt`: decode time of the first sample, in the track timescale.
    public var baseMediaDecodeTime: Int64
    public var samples: [FragmentSample]
    /// How many `moof` boxes (CMAF chunks) the fragment has.
    public var chunkCount: Int

    /// Parses `bytes`; sample data are slices of `bytes`.
    public init(parsing bytes: [UInt8]) throws(MediaParseError) {
        let boxes = try Box.parseAll(bytes)
        let moofs = boxes.filter { $0.type == "moof" }
        guard let firstMoof = moofs.first else {
            throw .invalid("a movie fragment needs a 'moof' box; found " + boxes.map { "'\($0.type)'" }.joined(separator: ", "))
        }
        guard let mfhd = firstMoof.children.first(where: { $0.type == "mfhd" }) else { throw .invalid("moof without 'mfhd'") }
        sequenceNumber = try MovieFragmentHeader(mfhd).sequenceNumber
        var samples: [FragmentSample] = []
        var firstTrack: (id: UInt32, time: Int64)?
        for moof in moofs {
            let chunk = try Self.parseChunk(moof, in: bytes, index: samples.count)
            if let firstTrack, firstTrack.id != chunk.trackID {
                throw .unsupported("a movie fragment whose chunks carry tracks \(firstTrack.id) and \(chunk.trackID); one track per fragment is expected")
            }
            if firstTrack == nil { firstTrack = (chunk.trackID, chunk.baseMediaDecodeTime) }
            samples += chunk.samples
        }
        guard let firstTrack else { throw .invalid("movie fragment holds no samples") }
        trackID = firstTrack.id
        baseMediaDecodeTime = firstTrack.time
        guard !samples.isEmpty else { throw .invalid("movie fragment of track \(trackID) holds no samples") }
        self.samples = samples
        chunkCount = moofs.count
    }

    /// The samples of one `moof` and the `mdat` its offsets point into.
    private static func parseChunk(_ moof: Box, in bytes: [UInt8], index: Int) throws(MediaParseError)
        -> (trackID: UInt32, baseMediaDecodeTime: Int64, samples: [FragmentSample])
    {
        let trafs = moof.children(ofType: "traf")
        guard trafs.count == 1, let traf = trafs.first else {
            throw .unsupported("a movie fragment with \(trafs.count) track fragments; one track per fragment is expected")
        }
        guard let tfhdBox = traf.children.first(where: { $0.type == "tfhd" }) else { throw .invalid("traf without 'tfhd'") }
        guard let tfdtBox = traf.children.first(where: { $0.type == "tfdt" }) else {
            throw .invalid("traf without 'tfdt': the fragment's decode time is unknown")
        }
        let tfhd = try TrackFragmentHeader(tfhdBox)
        let tfdt = try TrackFragmentDecodeTime(tfdtBox)
        guard tfdt.baseMediaDecodeTime <= UInt64(Int64.max) else { throw .invalid("tfdt \(tfdt.baseMediaDecodeTime) is absurd") }
        let trackID = tfhd.trackID
        let baseMediaDecodeTime = Int64(tfdt.baseMediaDecodeTime)

        // Data offsets count from the moof (default-base-is-moof, or the implicit base of the first traf) unless
        // tfhd names an explicit base.
        let base: Int
        if let explicit = tfhd.baseDataOffset {
            guard explicit <= UInt64(bytes.count) else { throw .invalid("tfhd base_data_offset \(explicit) lies outside the fragment") }
            base = Int(explicit)
        } else {
            base = moof.range.lowerBound
        }
        var samples: [FragmentSample] = []
        var time = baseMediaDecodeTime
        var nextOffset = base
        for trunBox in traf.children(ofType: "trun") {
            let trun = try TrackRun(trunBox)
            var offset = trun.dataOffset.map { base + Int($0) } ?? nextOffset
            samples.reserveCapacity(samples.count + trun.entries.count)
            for (entryIndex, entry) in trun.entries.enumerated() {
                let number = index + samples.count
                guard let size = entry.size ?? tfhd.defaultSampleSize, let duration = entry.duration ?? tfhd.defaultSampleDuration else {
                    throw .unsupported("trun sample \(number) has no size or duration and no tfhd default (trex defaults are not read)")
                }
                let flags = entryIndex == 0 ? (trun.firstSampleFlags ?? entry.flags ?? tfhd.defaultSampleFlags)
                                            : (entry.flags ?? tfhd.defaultSampleFlags)
                let end = offset + Int(size)
                guard offset >= 0, end <= bytes.count else {
                    throw .truncated(context: "sample \(number) of track \(trackID)", needed: end, available: bytes.count)
                }
                samples.append(FragmentSample(decodeTime: time, compositionOffset: entry.compositionOffset ?? 0,
                                              duration: duration, isSync: flags.map(SampleFlags.isSync) ?? (entryIndex == 0),
                                              data: bytes[offset..<end]))
                time += Int64(duration)
                offset = end
            }
            nextOffset = offset
        }
        return (trackID, baseMediaDecodeTime, samples)
    }

    /// Decode time just after the last sample.
    public var endTime: Int64 { samples.last.map(\.endTime) ?? baseMediaDecodeTime }
}
