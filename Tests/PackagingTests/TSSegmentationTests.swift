// Grouping canonical fragments into HLS TS segments: stable boundaries and media sequence numbers from sequence
// numbers alone, discontinuities, live completeness and windows that start mid-group.

import Media
import Testing
@testable import Packaging

@Suite struct TSSegmentationTests {
    static let second: Int64 = 10_000_000

    /// Fragments with the given sequence numbers, 2 s each, contiguous except for a 10 s gap before each discontinuity.
    func timeline(_ sequences: ClosedRange<Int>, discontinuities: Set<Int> = [], discontinuitySequence: Int = 0) -> TrackTimeline {
        // A fragment's time depends on its sequence number only, so windows over the same stream agree.
        let segments = sequences.map { sequence -> TimelineSegment in
            let gaps = Int64(discontinuities.filter { $0 <= sequence }.count)
            return TimelineSegment(startTime: (1_000 + 2 * Int64(sequence) + 10 * gaps) * Self.second, duration: 2 * Self.second,
                                   sequenceNumber: sequence, discontinuity: discontinuities.contains(sequence))
        }
        return TrackTimeline(track: Fixtures.video, segments: segments, discontinuitySequence: discontinuitySequence)
    }

    func describe(_ list: TSSegmentList) -> [String] {
        list.segments.map { segment in
            let first = segment.fragments.lowerBound, last = segment.fragments.upperBound - 1
            return "\(segment.mediaSequence):\(first)-\(last)" + String(repeating: "*", count: segment.discontinuities)
        }
    }

    @Test func oneFragmentPerSegmentMirrorsTheFragments() {
        let list = TSSegmentation.segments(timeline(100...104, discontinuities: [103], discontinuitySequence: 2),
                                           fragmentsPerSegment: 1, isLive: true)
        #expect(describe(list) == ["100:0-0", "101:1-1", "102:2-2", "103:3-3*", "104:4-4"])
        #expect(list.discontinuitySequence == 2)
        #expect(list.segments[3].startTime == (1_000 + 206 + 10) * Self.second)
        #expect(list.segments[3].duration == 2 * Self.second)
    }

    @Test func groupsOfThreeFollowSequenceNumbersAndSkipAPartialHeadWhenLive() {
        // 5 and 6 are the tail of group 2 (4…6); groups 3 (7…9) and 4 (10…12) are whole; 13 waits for 14 and 15.
        let live = TSSegmentation.segments(timeline(5...13), fragmentsPerSegment: 3, isLive: true)
        #expect(describe(live) == ["3:2-4", "4:5-7"])
        #expect(live.segments[0].duration == 6 * Self.second)
        #expect(live.segment(startingAt: live.segments[1].startTime)?.mediaSequence == 4)
        // On demand the first fragment starts a segment and the last one may be short.
        let vod = TSSegmentation.segments(timeline(5...13), fragmentsPerSegment: 3, isLive: false)
        #expect(describe(vod) == ["2:0-1", "3:2-4", "4:5-7", "5:8-8"])
    }

    @Test func boundariesDoNotMoveAsTheWindowSlides() {
        var seen: [Int64: (Int, Int64)] = [:]
        for head in 1...12 {
            let list = TSSegmentation.segments(timeline(head...(head + 14)), fragmentsPerSegment: 4, isLive: true)
            for (a, b) in zip(list.segments, list.segments.dropFirst()) { #expect(b.mediaSequence == a.mediaSequence + 1) }
            for segment in list.segments {
                if let earlier = seen[segment.startTime] {
                    #expect(earlier.0 == segment.mediaSequence && earlier.1 == segment.endTime)
                }
                seen[segment.startTime] = (segment.mediaSequence, segment.endTime)
            }
        }
    }

    @Test func aDiscontinuityInsideAGroupEndsItAndTakesTheNextGroupsNumber() {
        // Groups of 3: 1…3, 4…6, 7…9, 10…12. A reconnect at 5 ends segment 2 after 4; segment 3 runs 5…9.
        let list = TSSegmentation.segments(timeline(1...12, discontinuities: [5]), fragmentsPerSegment: 3, isLive: true)
        #expect(describe(list) == ["1:0-2", "2:3-3", "3:4-8*", "4:9-11"])
        // While 9 has not arrived, segment 3 is incomplete; once the discontinuity is known, segment 2 is final.
        let partial = TSSegmentation.segments(timeline(1...7, discontinuities: [5]), fragmentsPerSegment: 3, isLive: true)
        #expect(describe(partial) == ["1:0-2", "2:3-3"])
        // A discontinuity on a group boundary changes nothing but the tag.
        let aligned = TSSegmentation.segments(timeline(1...9, discontinuities: [7]), fragmentsPerSegment: 3, isLive: true)
        #expect(describe(aligned) == ["1:0-2", "2:3-5", "3:6-8*"])
    }

    @Test func twoDiscontinuitiesInOneGroupLeaveTheFragmentsBetweenThemUnlisted() {
        // 5 and 6 are both reconnects in group 4…6: segment 2 is 4, segment 3 starts at 5 and must end before 6;
        // 6…9 cannot take a number of their own, so 6 is not listed and segment 4 starts at 10.
        let list = TSSegmentation.segments(timeline(1...12, discontinuities: [5, 6]), fragmentsPerSegment: 3, isLive: false)
        #expect(describe(list) == ["1:0-2", "2:3-3", "3:4-4*", "4:9-11*"])
    }

    @Test func discontinuitySequenceCountsMarkedFragmentsBeforeTheFirstListedSegment() {
        // Window starts at 5 (mid-group, skipped); the reconnect at 6 starts segment 3, which keeps its tag.
        let list = TSSegmentation.segments(timeline(5...12, discontinuities: [6], discontinuitySequence: 4),
                                           fragmentsPerSegment: 3, isLive: true)
        #expect(describe(list) == ["3:1-4*", "4:5-7"])
        #expect(list.discontinuitySequence == 4)
        // With one fragment per segment the sequence is the timeline's own.
        let tail = TSSegmentation.segments(timeline(9...16, discontinuities: [10], discontinuitySequence: 4),
                                           fragmentsPerSegment: 1, isLive: true)
        #expect(describe(tail).first == "9:0-0" && tail.discontinuitySequence == 4)
        // A marked first segment keeps its tag and is not counted in the sequence.
        let marked = TSSegmentation.segments(timeline(7...9, discontinuities: [7], discontinuitySequence: 4),
                                             fragmentsPerSegment: 3, isLive: true)
        #expect(describe(marked) == ["3:0-2*"])
        #expect(marked.discontinuitySequence == 4)
    }
}
