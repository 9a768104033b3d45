// What manifests need to know about a track, read from its codec configuration.

import Media

extension TrackInfo {
    /// Picture size in pixels for video tracks.
    var pictureSize: (width: Int, height: Int)? {
        switch codec {
        case .avc(let c): return (c.width, c.height)
        case .hevc(let c): return (c.width, c.height)
        case .aac: return nil
        }
    }

    /// Frame rate when the bitstream declares one (H.264 VUI timing); HEVC configurations carry none.
    var frameRate: Double? {
        if case .avc(let c) = codec, let rate = c.frameRate, rate > 0, rate.isFinite { return rate }
        return nil
    }

    /// Sample aspect ratio; 1:1 unless the SPS says otherwise.
    var sampleAspectRatio: (Int, Int) {
        if case .avc(let c) = codec, c.sarWidth > 0, c.sarHeight > 0 { return (c.sarWidth, c.sarHeight) }
        return (1, 1)
    }

    /// Audio channel count for audio tracks.
    var channelCount: Int? {
        if case .aac(let c) = codec { return c.channelCount }
        return nil
    }

    /// Audio sampling rate in Hz for audio tracks.
    var sampleRate: Int? {
        if case .aac(let c) = codec { return c.sampleRate }
        return nil
    }

    /// Whether the track's language is known (`und` and empty mean unknown and are left out of manifests).
    var knownLanguage: String? {
        language.isEmpty || language.lowercased() == "und" ? nil : language
    }
}
