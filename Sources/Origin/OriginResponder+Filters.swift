// Dynamic manifest filters at the origin (spec/ams-live.md §8.3): the locator's filters and those `filter=` names are
// applied to the presentation before any manifest or media playlist is built. Fragments are not filtered (they stay
// shared and cacheable); only the audio an `m3u8-aapl-v3` segment muxes in follows the track selection.

import HTTP
import Live
import Media
import Packaging

extension OriginResponder {
    /// The filters a request applies: the locator's (always), then those its `filter=` names, in URL order; or a 404
    /// naming the first unknown name.
    func requestFilters(_ options: ManifestOptions, _ set: FilterSet, _ source: any MediaSource) -> Result<[PresentationFilter], ErrorResponse> {
        var filters = set.always
        for name in options.filters {
            guard let filter = set.filter(named: name) else {
                return .failure(ErrorResponse(.error(status: 404, message: "no filter named '\(name)' exists for \(source.sourceDescription) "
                                                     + "(filter= names an asset filter or an account filter)")))
            }
            filters.append(filter)
        }
        return .success(filters)
    }

    /// `presentation` as the request's filters list it (and `options.firstQualityBitrate` set from them); 404 when the
    /// filters leave no track, no fragment, or exclude the media playlist's `track`.
    func filtered(_ presentation: Presentation, _ set: FilterSet, _ options: inout ManifestOptions, _ source: any MediaSource,
                  track: (name: String, bitrate: Int)? = nil) -> Result<Presentation, ErrorResponse> {
        let filters: [PresentationFilter]
        switch requestFilters(options, set, source) {
        case .failure(let error): return .failure(error)
        case .success(let list): filters = list
        }
        guard !filters.isEmpty else { return .success(presentation) }
        let names = filters.map { "'\($0.name)'" }.joined(separator: ", ")
        options.firstQualityBitrate = PresentationFiltering.firstQualityBitrate(filters)
        let kept = PresentationFiltering.apply(filters, to: presentation, options: options)
        if let track, kept.timeline(named: track.name, bitrate: track.bitrate) == nil,
           presentation.timeline(named: track.name, bitrate: track.bitrate) != nil {
            return .failure(ErrorResponse(.error(status: 404, message: "track '\(track.name)' at QualityLevels(\(track.bitrate)) of "
                                                 + "\(source.sourceDescription) is excluded by the filters \(names)")))
        }
        if kept.tracks.isEmpty && !presentation.tracks.isEmpty {
            return .failure(ErrorResponse(.error(status: 404, message: "the filters \(names) leave no track of \(source.sourceDescription)")))
        }
        let hadFragments = presentation.tracks.contains { !$0.segments.isEmpty }
        if hadFragments && kept.tracks.allSatisfy(\.segments.isEmpty) {
            return .failure(ErrorResponse(.error(status: 404, message: "the presentation time range of the filters \(names) leaves no "
                                                 + "fragment of \(source.sourceDescription)")))
        }
        return .success(kept)
    }

    /// For an `m3u8-aapl-v3` segment: `presentation` without the audio tracks the request's filters exclude, so that the
    /// audio muxed into video segments is the one the filtered playlist announced. Which segments exist is not filtered.
    func muxableAudio(_ presentation: Presentation, _ set: FilterSet, _ options: ManifestOptions, _ source: any MediaSource,
                      requested: (name: String, bitrate: Int)) -> Result<Presentation, ErrorResponse> {
        guard options.format == .hlsV3 else { return .success(presentation) }
        switch requestFilters(options, set, source) {
        case .failure(let error):
            return .failure(error)
        case .success(let filters):
            var kept = presentation
            // The requested track itself stays: segments are served whatever the filters say.
            kept.tracks.removeAll {
                $0.track.kind == .audio && !PresentationFiltering.keeps($0.track, filters)
                    && !($0.track.bitrate == requested.bitrate && $0.track.name.lowercased() == requested.name.lowercased())
            }
            return .success(kept)
        }
    }
}
