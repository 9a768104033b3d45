import AMSModels
import Foundation
import Live

extension MediaServices {
    /// The box's figures in the Prometheus text format (`GET /metrics` on the API port, same bearer token):
    /// live events by state and, per encoding event, what encodes, whether it fell back to software, the
    /// worker's restarts and its frame counters.
    public func prometheusMetrics() async -> String {
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        family("edgelive_live_events", "gauge", "Live events by resource state.")
        var byState: [String: Int] = [:]
        for entry in events.values { byState[entry.state.rawValue, default: 0] += 1 }
        for state in byState.keys.sorted() { lines.append("edgelive_live_events{state=\"\(state)\"} \(byState[state] ?? 0)") }

        var encoders: [(String, LiveEncoderStatus)] = []
        for entry in events.values.sorted(by: { $0.name < $1.name }) {
            if let status = await entry.channel?.encoderStatus { encoders.append((entry.name, status)) }
        }
        let families: [(String, String, String, (LiveEncoderStatus) -> String)] = [
            ("edgelive_live_encoding_software_fallback", "gauge",
             "1 when an encoding event runs libx264 because no GPU passed its hardware profile's probe (policy auto).",
             { $0.isFallback ? "1" : "0" }),
            ("edgelive_encode_worker_up", "gauge", "1 while the event's encode worker runs and sends heartbeats.",
             { $0.state == .running ? "1" : "0" }),
            ("edgelive_encode_worker_restarts_total", "counter", "Encode workers replaced after a crash, an exit or a hang.",
             { "\($0.restarts)" }),
            ("edgelive_encode_frames_in_total", "counter", "Contribution frames sent to the encode worker.", { "\($0.framesIn)" }),
            ("edgelive_encode_frames_out_total", "counter", "Ladder samples the encode worker produced (all rungs).", { "\($0.framesOut)" }),
            ("edgelive_encode_frames_dropped_total", "counter", "Contribution frames dropped: worker down or behind real time, or undecodable.",
             { "\($0.framesDropped)" }),
            ("edgelive_encode_frames_per_second", "gauge", "Contribution frames per second the worker processes.",
             { String(format: "%.2f", $0.framesPerSecond) }),
        ]
        for (name, type, help, value) in families where !encoders.isEmpty {
            family(name, type, help)
            for (event, status) in encoders {
                lines.append("\(name){event=\"\(Self.label(event))\",backend=\"\(Self.label(status.backend))\"} \(value(status))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Prometheus label value: backslash, quote and newline escaped.
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
