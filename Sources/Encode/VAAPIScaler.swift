import CFFmpeg
import EncodeModel

/// The VAAPI path's scaler: one libavfilter graph, `split` into a `scale_vaapi` per rung, so pictures stay on the GPU
/// from decoder to encoder. System-memory input (software decode) is uploaded first (`hwupload`). FFmpeg 5.1 has no
/// `pad_vaapi`, so `AutoFit` rungs with bars go down to memory for `pad` and back up: correct, but slower than the
/// other rungs. Untested on the build machine (no GPU); it compiles and follows FFmpeg's documented graph API.
final class VAAPIScaler: RungScaler {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sinks: [UnsafeMutablePointer<AVFilterContext>]
    private let output: FrameBox

    /// Builds the graph for frames like `first` (its size, format and, for VAAPI surfaces, frames context).
    init(rungs: [PlannedRung], first: UnsafeMutablePointer<AVFrame>, device: HardwareDevice) throws(EncodeError) {
        output = try FrameBox()
        guard let graph = avfilter_graph_alloc() else { throw .outOfMemory("a filter graph") }
        var ownedGraph: UnsafeMutablePointer<AVFilterGraph>? = graph
        func fail(_ reason: String) -> EncodeError {
            avfilter_graph_free(&ownedGraph)
            return EncodeError(.filterGraphFailed, "cannot build the VAAPI scaling graph on \(device.path): \(reason); "
                + "check the VA driver (`vainfo`) or use a software hardware profile")
        }

        let onGPU = first.pointee.format == AV_PIX_FMT_VAAPI.rawValue
        let sar = first.pointee.sample_aspect_ratio
        let arguments = "video_size=\(first.pointee.width)x\(first.pointee.height):pix_fmt=\(first.pointee.format)"
            + ":time_base=1/\(AVCode.videoTimescale):pixel_aspect=\(max(sar.num, 1))/\(max(sar.den, 1))"
        var source: UnsafeMutablePointer<AVFilterContext>?
        var status = avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", arguments, nil, graph)
        guard status >= 0, let source else { throw fail("buffer source (\(avErrorString(status)))") }
        if onGPU {
            guard let parameters = av_buffersrc_parameters_alloc() else { throw fail("out of memory") }
            parameters.pointee.format = AV_PIX_FMT_VAAPI.rawValue
            parameters.pointee.hw_frames_ctx = first.pointee.hw_frames_ctx  // the source takes its own reference
            status = av_buffersrc_parameters_set(source, parameters)
            av_free(parameters)
            guard status >= 0 else { throw fail("buffer source frames (\(avErrorString(status)))") }
        }

        var sinks: [UnsafeMutablePointer<AVFilterContext>] = []
        for index in rungs.indices {
            var sink: UnsafeMutablePointer<AVFilterContext>?
            status = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out\(index)", nil, nil, graph)
            guard status >= 0, let sink else { throw fail("buffer sink (\(avErrorString(status)))") }
            sinks.append(sink)
        }

        var description = "[in]" + (onGPU ? "" : "format=nv12,hwupload,") + "split=\(rungs.count)"
        description += rungs.indices.map { "[s\($0)]" }.joined() + ";"
        description += rungs.enumerated().map { index, rung in
            var chain = "[s\(index)]scale_vaapi=w=\(rung.pictureWidth):h=\(rung.pictureHeight):format=nv12"
            if rung.isPadded {
                chain += ",hwdownload,format=nv12,pad=\(rung.width):\(rung.height):\(rung.pictureX):\(rung.pictureY):black,hwupload"
            }
            return chain + "[out\(index)]"
        }.joined(separator: ";")

        // The graph's open ends: "in" is the source's output, "outN" the sinks' inputs.
        var openOutputs = avfilter_inout_alloc()
        openOutputs?.pointee.name = av_strdup("in")
        openOutputs?.pointee.filter_ctx = source
        var openInputs: UnsafeMutablePointer<AVFilterInOut>?
        for (index, sink) in sinks.enumerated().reversed() {
            let entry = avfilter_inout_alloc()
            entry?.pointee.name = av_strdup("out\(index)")
            entry?.pointee.filter_ctx = sink
            entry?.pointee.next = openInputs
            openInputs = entry
        }
        status = avfilter_graph_parse_ptr(graph, description, &openInputs, &openOutputs, nil)
        avfilter_inout_free(&openInputs)
        avfilter_inout_free(&openOutputs)
        guard status >= 0 else { throw fail("\(description): \(avErrorString(status))") }

        // hwupload (and any filter that makes surfaces) needs the device.
        if let filters = graph.pointee.filters {
            for index in 0..<Int(graph.pointee.nb_filters) {
                if let filter = filters[index], filter.pointee.hw_device_ctx == nil {
                    filter.pointee.hw_device_ctx = av_buffer_ref(device.reference)
                }
            }
        }
        status = avfilter_graph_config(graph, nil)
        guard status >= 0 else { throw fail("configuring \(description): \(avErrorString(status))") }

        self.graph = graph
        self.source = source
        self.sinks = sinks
    }

    deinit { avfilter_graph_free(&graph) }

    func hardwareFrames(forRung position: Int) -> UnsafeMutablePointer<AVBufferRef>? {
        guard sinks.indices.contains(position) else { return nil }
        return av_buffersink_get_hw_frames_ctx(sinks[position])
    }

    func scale(_ frame: UnsafeMutablePointer<AVFrame>, body: (Int, UnsafeMutablePointer<AVFrame>) -> Void) -> String? {
        let status = av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF))
        guard status >= 0 else { return "the VAAPI scaler refused a frame: \(avErrorString(status))" }
        let output = self.output.frame
        for (position, sink) in sinks.enumerated() {
            while av_buffersink_get_frame(sink, output) >= 0 {
                body(position, output)
                av_frame_unref(output)
            }
        }
        return nil
    }
}
