import Media

extension CMAFWriter {
    /// A CMAF fragment made of chunks (low latency): `styp`, then one `moof` + `mdat` per chunk, chunk `i` holding
    /// `samples[chunkStarts[i]..<chunkStarts[i + 1]]`. Every chunk carries the fragment's sequence number in `mfhd`
    /// and its own `tfdt`. With `chunkStarts == [0]` the bytes are exactly
    /// ``mediaSegment(track:sequenceNumber:samples:includeStyp:)``.
    ///
    /// The bytes are the concatenation of ``chunk(track:sequenceNumber:samples:isFirst:)`` for each chunk, so a chunk
    /// published early is a byte range of the fragment stored when it closes.
    /// - Returns: the fragment and the byte range of each chunk (the first includes the `styp`).
    public static func chunkedMediaSegment(track: TrackInfo, sequenceNumber: UInt32, samples: [Sample],
                                           chunkStarts: [Int]) -> (bytes: [UInt8], chunkRanges: [Range<Int>]) {
        let starts = chunkStarts.isEmpty ? [0] : chunkStarts
        precondition(starts[0] == 0 && zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 } && starts.last! < samples.count,
                     "chunk starts must be increasing indices into the samples, from 0")
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1] : samples.count
            let chunk = chunk(track: track, sequenceNumber: sequenceNumber, samples: Array(samples[start..<end]), isFirst: index == 0)
            ranges.append(bytes.count..<(bytes.count + chunk.count))
            bytes += chunk
        }
        return (bytes, ranges)
    }

    /// One CMAF chunk: `moof` + `mdat`, preceded by the `styp` when it opens its fragment.
    public static func chunk(track: TrackInfo, sequenceNumber: UInt32, samples: [Sample], isFirst: Bool) -> [UInt8] {
        mediaSegment(track: track, sequenceNumber: sequenceNumber, samples: samples, includeStyp: isFirst)
    }
}
