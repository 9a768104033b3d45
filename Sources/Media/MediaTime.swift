/// Timescales used across the pipeline.
public enum MediaTime {
    /// Fragment addresses, manifests and canonical CMAF tracks use 100 ns ticks, as the service did
    /// for pass-through and on-demand content. Live media time is Unix-epoch based:
    /// `ticks = seconds since 1970 × 10^7`.
    public static let ticksPerSecond: Int64 = 10_000_000

    /// RTMP/FLV timestamps are milliseconds.
    public static let rtmpTimescale: Int64 = 1000

    /// Rescales `value` from one timescale to another, rounding to nearest.
    @inline(__always)
    public static func rescale(_ value: Int64, from: Int64, to: Int64) -> Int64 {
        if from == to { return value }
        // value * to / from, rounded, without intermediate overflow for realistic magnitudes.
        let q = value / from, r = value % from
        return q * to + (r * to + (r >= 0 ? from / 2 : -from / 2)) / from
    }
}
