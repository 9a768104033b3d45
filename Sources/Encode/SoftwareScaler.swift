import CFFmpeg
import EncodeModel

/// Makes each rung's picture from a decoded frame.
protocol RungScaler: AnyObject {
    /// Scales `frame` for every rung in order; `body` gets the rung's position in the ladder and its frame (valid
    /// only during the call; timestamps and picture type are the caller's to set). Returns a message on failure.
    func scale(_ frame: UnsafeMutablePointer<AVFrame>, body: (Int, UnsafeMutablePointer<AVFrame>) -> Void) -> String?
    /// The VAAPI frames context rung `position`'s frames live in (nil for system-memory frames).
    func hardwareFrames(forRung position: Int) -> UnsafeMutablePointer<AVBufferRef>?
}

/// libswscale, one context per rung, into yuv420p frames of the rung's coded size; `AutoFit` bars are black.
final class SoftwareScaler: RungScaler {
    private struct Source: Equatable {
        var width: Int32, height: Int32, format: Int32, fullRange: Bool
    }

    private final class Lane {
        let rung: PlannedRung
        let output: FrameBox
        var context: OpaquePointer?
        var source: Source?

        init(rung: PlannedRung) throws(EncodeError) {
            self.rung = rung
            output = try FrameBox()
            let frame = output.frame
            frame.pointee.width = Int32(rung.width)
            frame.pointee.height = Int32(rung.height)
            frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
            guard av_frame_get_buffer(frame, 0) >= 0 else { throw .outOfMemory("a \(rung.width)x\(rung.height) frame") }
            if rung.isPadded { SoftwareScaler.paintBlack(frame) }
        }

        deinit { sws_freeContext(context) }
    }

    private let lanes: [Lane]

    init(rungs: [PlannedRung]) throws(EncodeError) {
        var lanes: [Lane] = []
        for rung in rungs { lanes.append(try Lane(rung: rung)) }
        self.lanes = lanes
    }

    func hardwareFrames(forRung position: Int) -> UnsafeMutablePointer<AVBufferRef>? { nil }

    func scale(_ frame: UnsafeMutablePointer<AVFrame>, body: (Int, UnsafeMutablePointer<AVFrame>) -> Void) -> String? {
        let source = Source(width: frame.pointee.width, height: frame.pointee.height, format: frame.pointee.format,
                            fullRange: frame.pointee.color_range == AVCOL_RANGE_JPEG)
        guard source.width > 0, source.height > 0, let first = frame.pointee.data.0 else { return "a decoded frame without a picture" }
        let sourcePlanes: [UnsafePointer<UInt8>?] = [UnsafePointer(first), UnsafePointer(frame.pointee.data.1),
                                                     UnsafePointer(frame.pointee.data.2), UnsafePointer(frame.pointee.data.3)]
        let sourceStrides: [Int32] = [frame.pointee.linesize.0, frame.pointee.linesize.1, frame.pointee.linesize.2, frame.pointee.linesize.3]

        for (position, lane) in lanes.enumerated() {
            if lane.source != source {
                sws_freeContext(lane.context)
                lane.context = Self.makeContext(source, lane.rung)
                lane.source = source
            }
            guard let context = lane.context else {
                return "libswscale cannot convert \(source.width)x\(source.height) (\(Self.formatName(source.format))) to the "
                    + "\(lane.rung.width)x\(lane.rung.height) rung"
            }
            let output = lane.output.frame
            // The encoder may still hold the previous picture; this copies it (bars included) only when it does.
            guard av_frame_make_writable(output) >= 0 else { return "cannot allocate a \(lane.rung.width)x\(lane.rung.height) frame" }
            let x = lane.rung.pictureX, y = lane.rung.pictureY
            let strides: [Int32] = [output.pointee.linesize.0, output.pointee.linesize.1, output.pointee.linesize.2, 0]
            guard let luma = output.pointee.data.0, let cb = output.pointee.data.1, let cr = output.pointee.data.2 else {
                return "a \(lane.rung.width)x\(lane.rung.height) frame without planes"
            }
            let planes: [UnsafeMutablePointer<UInt8>?] = [
                luma + y * Int(strides[0]) + x,
                cb + (y / 2) * Int(strides[1]) + x / 2,
                cr + (y / 2) * Int(strides[2]) + x / 2,
                nil,
            ]
            sws_scale(context, sourcePlanes, sourceStrides, 0, source.height, planes, strides)
            body(position, output)
        }
        return nil
    }

    private static func makeContext(_ source: Source, _ rung: PlannedRung) -> OpaquePointer? {
        guard let context = sws_getContext(source.width, source.height, AVPixelFormat(rawValue: source.format),
                                           Int32(rung.pictureWidth), Int32(rung.pictureHeight), AV_PIX_FMT_YUV420P,
                                           SWS_BILINEAR, nil, nil, nil) else { return nil }
        if source.fullRange {
            // A full-range yuv420p picture (not the deprecated yuvj formats, which swscale knows): say so, so the
            // output is limited range as the encoder signals.
            var inverse: UnsafeMutablePointer<Int32>?, table: UnsafeMutablePointer<Int32>?
            var sourceRange: Int32 = 0, destinationRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
            if sws_getColorspaceDetails(context, &inverse, &sourceRange, &table, &destinationRange, &brightness, &contrast, &saturation) >= 0 {
                sws_setColorspaceDetails(context, inverse, 1, table, 0, brightness, contrast, saturation)
            }
        }
        return context
    }

    /// Black in limited-range yuv420p: luma 16, chroma 128.
    static func paintBlack(_ frame: UnsafeMutablePointer<AVFrame>) {
        let height = Int(frame.pointee.height)
        if let luma = frame.pointee.data.0 { luma.update(repeating: 16, count: Int(frame.pointee.linesize.0) * height) }
        if let cb = frame.pointee.data.1 { cb.update(repeating: 128, count: Int(frame.pointee.linesize.1) * ((height + 1) / 2)) }
        if let cr = frame.pointee.data.2 { cr.update(repeating: 128, count: Int(frame.pointee.linesize.2) * ((height + 1) / 2)) }
    }

    static func formatName(_ format: Int32) -> String {
        guard let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: format)) else { return "format \(format)" }
        return String(cString: name)
    }
}
