import Media

/// Turns what encoders write (Annex-B start codes, parameter sets in-band or in extradata) into what MP4 wants:
/// length-prefixed samples and an `avcC`/`hvcC` record.
enum AnnexB {
    /// The codec families the worker encodes.
    enum Family: String {
        case avc, hevc

        enum Role { case parameterSet, delimiter, other }

        /// Whether a NAL unit goes to the record, is dropped (access unit delimiter), or stays in the sample.
        func role(of unit: ArraySlice<UInt8>) -> Role {
            switch self {
            case .avc:
                switch NALUnit.avcType(unit) {
                case NALUnit.AVCType.sequenceParameterSet, NALUnit.AVCType.pictureParameterSet: return .parameterSet
                case NALUnit.AVCType.accessUnitDelimiter: return .delimiter
                default: return .other
                }
            case .hevc:
                switch NALUnit.hevcType(unit) {
                case NALUnit.HEVCType.videoParameterSet, NALUnit.HEVCType.sequenceParameterSet,
                     NALUnit.HEVCType.pictureParameterSet: return .parameterSet
                case NALUnit.HEVCType.accessUnitDelimiter: return .delimiter
                default: return .other
                }
            }
        }
    }

    /// An encoder packet as an MP4 sample (4-byte lengths) without parameter sets or delimiters (they belong in
    /// the record), plus the parameter sets it carried.
    static func sample(_ packet: [UInt8], family: Family) -> (sample: [UInt8], parameterSets: [ArraySlice<UInt8>]) {
        let units = NALUnit.annexBUnits(packet[...])
        var kept: [ArraySlice<UInt8>] = []
        var parameterSets: [ArraySlice<UInt8>] = []
        kept.reserveCapacity(units.count)
        for unit in units {
            switch family.role(of: unit) {
            case .parameterSet: parameterSets.append(unit)
            case .delimiter: continue
            case .other: kept.append(unit)
            }
        }
        return (NALUnit.lengthPrefixing(kept, lengthSize: 4), parameterSets)
    }

    /// The decoder configuration record for an encoder's extradata (Annex-B parameter sets, or already a record)
    /// or for the parameter sets found in its first keyframe. Nil when they are incomplete.
    static func record(extradata: [UInt8], family: Family) -> [UInt8]? {
        guard let first = extradata.first else { return nil }
        if first == 1 {
            switch family {
            case .avc: return (try? AVCConfiguration(record: extradata))?.record
            case .hevc: return (try? HEVCConfiguration(record: extradata))?.record
            }
        }
        return record(parameterSets: NALUnit.annexBUnits(extradata[...]), family: family)
    }

    static func record(parameterSets: [ArraySlice<UInt8>], family: Family) -> [UInt8]? {
        switch family {
        case .avc:
            let sps = parameterSets.filter { NALUnit.avcType($0) == NALUnit.AVCType.sequenceParameterSet }.map { Array($0) }
            let pps = parameterSets.filter { NALUnit.avcType($0) == NALUnit.AVCType.pictureParameterSet }.map { Array($0) }
            return (try? AVCConfiguration(sequenceParameterSets: sps, pictureParameterSets: pps))?.record
        case .hevc:
            return hevcRecord(parameterSets)
        }
    }

    /// Builds an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) from VPS, SPS and PPS. The profile,
    /// tier and level bytes are the SPS's own; chroma format and bit depth follow the profile (the VAAPI encoders
    /// write 4:2:0, 8-bit Main or 10-bit Main 10).
    static func hevcRecord(_ parameterSets: [ArraySlice<UInt8>]) -> [UInt8]? {
        func units(_ type: UInt8) -> [ArraySlice<UInt8>] { parameterSets.filter { NALUnit.hevcType($0) == type } }
        let vps = units(NALUnit.HEVCType.videoParameterSet)
        let sps = units(NALUnit.HEVCType.sequenceParameterSet)
        let pps = units(NALUnit.HEVCType.pictureParameterSet)
        guard let firstSPS = sps.first, !vps.isEmpty, !pps.isEmpty else { return nil }
        let rbsp = NALUnit.removingEmulationPrevention(firstSPS)
        // NAL header (2), then vps id / max sub layers / temporal nesting (1), then general profile_tier_level (12).
        guard rbsp.count >= 15 else { return nil }
        let maxSubLayersMinus1 = (rbsp[2] >> 1) & 0x07
        let temporalIdNested = rbsp[2] & 0x01
        let profileTierLevel = rbsp[3..<15]
        let profileIDC = profileTierLevel[profileTierLevel.startIndex] & 0x1F
        let bitDepthMinus8: UInt8 = profileIDC == 2 ? 2 : 0

        var w = ByteWriter(capacity: 64 + parameterSets.reduce(0) { $0 + $1.count + 5 })
        w.write(UInt8(1))
        w.write(contentsOf: profileTierLevel)
        w.write(UInt16(0xF000))                 // min_spatial_segmentation_idc 0
        w.write(UInt8(0xFC))                    // parallelismType 0
        w.write(UInt8(0xFC | 1))                // chroma_format_idc 4:2:0
        w.write(UInt8(0xF8 | bitDepthMinus8))
        w.write(UInt8(0xF8 | bitDepthMinus8))
        w.write(UInt16(0))                      // avgFrameRate unspecified
        w.write(UInt8((maxSubLayersMinus1 + 1) << 3 | temporalIdNested << 2 | 3))  // 4-byte NAL lengths
        let arrays = [(NALUnit.HEVCType.videoParameterSet, vps), (NALUnit.HEVCType.sequenceParameterSet, sps),
                      (NALUnit.HEVCType.pictureParameterSet, pps)]
        w.write(UInt8(arrays.count))
        for (type, list) in arrays {
            w.write(UInt8(0x80 | type))         // array_completeness: every set of this type is here
            w.write(UInt16(list.count))
            for unit in list {
                guard unit.count <= Int(UInt16.max) else { return nil }
                w.write(UInt16(unit.count))
                w.write(contentsOf: unit)
            }
        }
        return (try? HEVCConfiguration(record: w.bytes))?.record
    }
}
