import Media

/// How a channel names its published tracks: the track ID (in order of first publication, kept across a track's
/// reconnects), the bitrate in `QualityLevels(…)` URLs (the encoder's declared rate, else measured over the first
/// fragment) and the name (`video`, `audio`, or `audio_<language>` for a track with a declared language). Pure: what
/// the encoder declared goes in, a ``TrackInfo`` comes out; fixed once published, because URLs carry it.
struct TrackNaming: Sendable {
    private var declaredBitrates: [TrackKey: Int] = [:]
    private var declaredLanguages: [TrackKey: String] = [:]
    private var trackIDs: [TrackKey: UInt32] = [:]

    /// The encoder's declared bitrate (`onMetaData` videodatarate/audiodatarate, a DASH ingest MPD). Ignores 0.
    mutating func declareBitrate(_ key: TrackKey, bitsPerSecond: Int) {
        guard bitsPerSecond > 0 else { return }
        declaredBitrates[key] = bitsPerSecond
    }

    /// The track's language (fMP4 ingest's `mdhd`), lowercased.
    mutating func declareLanguage(_ key: TrackKey, language: String) {
        declaredLanguages[key] = language.lowercased()
    }

    /// The published description of `key`, whose first fragment (`samples` over `duration` ticks) has closed.
    mutating func trackInfo(_ key: TrackKey, codec: CodecConfiguration, firstFragmentBytes bytes: Int, duration: Int64) -> TrackInfo {
        let id = trackIDs[key] ?? UInt32(trackIDs.count + 1)
        trackIDs[key] = id
        let bitrate = declaredBitrates[key] ?? Self.measuredBitrate(bytes: bytes, duration: duration)
        let language = declaredLanguages[key]
        let name = language.map { key.kind == .audio ? "audio_\($0)" : key.kind.rawValue } ?? key.kind.rawValue
        return TrackInfo(trackID: id, kind: key.kind, name: name, timescale: UInt32(MediaTime.ticksPerSecond),
                         codec: codec, bitrate: bitrate, language: language ?? "und")
    }

    /// Bits per second of `bytes` over `duration` ticks, rounded to whole kbit/s, at least 1000.
    static func measuredBitrate(bytes: Int, duration: Int64) -> Int {
        let seconds = max(Double(duration) / Double(MediaTime.ticksPerSecond), 0.001)
        return max(1000, Int((Double(bytes * 8) / seconds / 1000).rounded()) * 1000)
    }
}
