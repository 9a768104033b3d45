import CFFmpeg
@testable import Encode
import Media
import Testing

/// The record builders against what real encoders write: libx264's and libx265's global headers.
@Suite struct AnnexBTests {
    @Test func libx265HeadersMakeAnHVCCThatTheHEVCDecoderTakes() throws {
        let (extradata, packets) = try encode(encoder: "libx265", options: ["preset": "ultrafast", "x265-params": "log-level=none"])
        let record = try #require(AnnexB.record(extradata: extradata, family: .hevc))
        let configuration = try HEVCConfiguration(record: record)
        #expect(configuration.width == 320 && configuration.height == 240)
        #expect(configuration.generalProfileIDC == 1 && configuration.nalUnitLengthSize == 4)
        // The samples, in MP4 form, decode with the record as the decoder's extradata.
        let samples = packets.map { AnnexB.sample($0, family: .hevc).sample }
        #expect(try decode(decoder: "hevc", record: record, samples: samples) == packets.count)
    }

    @Test func libx264HeadersMakeAnAVCC() throws {
        let (extradata, packets) = try encode(encoder: "libx264", options: ["preset": "ultrafast"])
        let record = try #require(AnnexB.record(extradata: extradata, family: .avc))
        let configuration = try AVCConfiguration(record: record)
        #expect(configuration.width == 320 && configuration.height == 240 && configuration.nalUnitLengthSize == 4)
        let samples = packets.map { AnnexB.sample($0, family: .avc) }
        #expect(samples.allSatisfy { $0.parameterSets.isEmpty })
        #expect(try decode(decoder: "h264", record: record, samples: samples.map(\.sample)) == packets.count)
        // Parameter sets in-band (encoders without global headers): found, and kept out of the sample.
        let inBand = AnnexB.sample(extradata + packets[0], family: .avc)
        #expect(inBand.parameterSets.count == 2)
        #expect(AnnexB.record(parameterSets: inBand.parameterSets, family: .avc) == record)
        #expect(inBand.sample == samples[0].sample)
    }

    /// Ten grey 320x240 frames through `encoder` with global headers: its extradata and Annex-B packets.
    private func encode(encoder name: String, options: [String: String]) throws -> ([UInt8], [[UInt8]]) {
        guard let codec = avcodec_find_encoder_by_name(name), let context = avcodec_alloc_context3(codec) else { throw TestFailure("no \(name)") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&owned) }
        context.pointee.width = 320
        context.pointee.height = 240
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        for (key, value) in options { av_opt_set(context.pointee.priv_data, key, value, 0) }
        guard avcodec_open2(context, codec, nil) >= 0 else { throw TestFailure("cannot open \(name)") }
        let extradata = Array(UnsafeBufferPointer(start: context.pointee.extradata, count: Int(context.pointee.extradata_size)))
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_frame_free(&frame); av_packet_free(&packet) }
        frame!.pointee.width = 320
        frame!.pointee.height = 240
        frame!.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        av_frame_get_buffer(frame, 0)
        var packets: [[UInt8]] = []
        func receive() {
            while avcodec_receive_packet(context, packet) >= 0 {
                packets.append(Array(UnsafeBufferPointer(start: packet!.pointee.data, count: Int(packet!.pointee.size))))
                av_packet_unref(packet)
            }
        }
        for index in 0..<10 {
            av_frame_make_writable(frame)
            for plane in 0..<3 {
                let data = [frame!.pointee.data.0, frame!.pointee.data.1, frame!.pointee.data.2][plane]!
                let stride = Int([frame!.pointee.linesize.0, frame!.pointee.linesize.1, frame!.pointee.linesize.2][plane])
                data.update(repeating: UInt8(plane == 0 ? 60 + index * 10 : 128), count: stride * (plane == 0 ? 240 : 120))
            }
            frame!.pointee.pts = Int64(index)
            avcodec_send_frame(context, frame)
            receive()
        }
        avcodec_send_frame(context, nil)
        receive()
        return (extradata, packets)
    }

    private func decode(decoder name: String, record: [UInt8], samples: [[UInt8]]) throws -> Int {
        guard let codec = avcodec_find_decoder_by_name(name), let context = avcodec_alloc_context3(codec) else { throw TestFailure("no \(name)") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&owned) }
        let extra = av_mallocz(record.count + 64)!.assumingMemoryBound(to: UInt8.self)
        extra.update(from: record, count: record.count)
        context.pointee.extradata = extra
        context.pointee.extradata_size = Int32(record.count)
        guard avcodec_open2(context, codec, nil) >= 0 else { throw TestFailure("\(name) refused the record") }
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_frame_free(&frame); av_packet_free(&packet) }
        var frames = 0
        for sample in samples + [[]] {
            if sample.isEmpty {
                avcodec_send_packet(context, nil)
            } else {
                av_new_packet(packet, Int32(sample.count))
                packet!.pointee.data.update(from: sample, count: sample.count)
                guard avcodec_send_packet(context, packet) >= 0 else { throw TestFailure("\(name) refused a sample") }
                av_packet_unref(packet)
            }
            while avcodec_receive_frame(context, frame) >= 0 {
                frames += 1
                av_frame_unref(frame)
            }
        }
        return frames
    }
}
