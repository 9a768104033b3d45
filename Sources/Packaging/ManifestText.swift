// Deterministic text for manifests: dates, durations, decimals and escaping, done with integer arithmetic so
// output never depends on locale, Foundation formatters or floating-point printing.

import Media

/// Shared formatting for manifest builders.
enum ManifestText {
    // MARK: - Times

    /// ISO-8601 UTC date-time from milliseconds since 1970: `2023-11-14T22:13:20.123Z`.
    /// Without `alwaysMilliseconds`, a whole second is written without a fraction (`1970-01-01T00:00:00Z`).
    static func dateTime(millisecondsSince1970 ms: Int64, alwaysMilliseconds: Bool = true) -> String {
        let (seconds, millis) = floorDivide(ms, 1000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        var text = pad(year, 4) + "-" + pad(Int64(month), 2) + "-" + pad(Int64(day), 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if alwaysMilliseconds || millis != 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    /// ISO-8601 date-time of a media time that counts from the Unix epoch (live media time, spec §10.3).
    /// Truncated to the millisecond, as the service did (`t=15447164594627600` ⇒ `2018-12-13T15:54:19.462Z`).
    static func dateTime(ticks: Int64, timescale: UInt32) -> String {
        let (seconds, remainder) = floorDivide(ticks, Int64(timescale))
        return dateTime(millisecondsSince1970: seconds * 1000 + remainder * 1000 / Int64(timescale))
    }

    /// ISO-8601 duration to the millisecond: `PT0S`, `PT2S`, `PT1M30S`, `PT1H0.5S`.
    static func duration(ticks: Int64, timescale: UInt32) -> String {
        let ms = max(0, MediaTime.rescale(ticks, from: Int64(timescale), to: 1000))
        let hours = ms / 3_600_000, minutes = ms / 60_000 % 60, millis = ms % 60_000
        var text = "PT"
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if millis > 0 || (hours == 0 && minutes == 0) {
            text += String(millis / 1000)
            if millis % 1000 != 0 {
                var fraction = pad(millis % 1000, 3)
                while fraction.last == "0" { fraction.removeLast() }
                text += "." + fraction
            }
            text += "S"
        }
        return text
    }

    /// ISO-8601 duration of a number of seconds (rounded to the millisecond).
    static func duration(seconds: Double) -> String {
        duration(ticks: Int64((max(0, seconds) * 1000).rounded()), timescale: 1000)
    }

    // MARK: - Numbers

    /// `ticks / timescale` with exactly `places` decimals, rounded half up: `2.000000`.
    static func decimal(ticks: Int64, timescale: UInt32, places: Int) -> String {
        let scale = Int64(timescale)
        let (quotient, remainder) = floorDivide(ticks, scale)
        var whole = quotient
        var unit: Int64 = 1
        for _ in 0..<places { unit *= 10 }
        // remainder < timescale ≤ 2^32, so remainder × 10^6 stays far from overflow.
        var fraction = (remainder * unit + scale / 2) / scale
        if fraction >= unit { whole += 1; fraction -= unit }
        return places == 0 ? String(whole) : String(whole) + "." + pad(fraction, places)
    }

    /// A positive floating value with `places` decimals (frame rates): `30.000`, `29.970`.
    static func decimal(_ value: Double, places: Int) -> String {
        var unit: Double = 1
        for _ in 0..<places { unit *= 10 }
        return decimal(ticks: Int64((value * unit).rounded()), timescale: UInt32(unit), places: places)
    }

    /// Whole seconds, rounded half up.
    static func roundedSeconds(ticks: Int64, timescale: UInt32) -> Int64 {
        floorDivide(ticks + Int64(timescale) / 2, Int64(timescale)).0
    }

    // MARK: - Escaping

    /// Escapes a value for an XML attribute in double quotes.
    static func xmlAttribute(_ value: String) -> String { XMLText.escaped(value) }

    /// An HLS quoted-string: `"` and line breaks cannot be escaped there (RFC 8216 §4.2), so they become `'` and spaces.
    static func hlsQuoted(_ value: String) -> String {
        var text = "\""
        for character in value {
            switch character {
            case "\"": text.append("'")
            case "\n", "\r", "\r\n": text.append(" ")
            default: text.append(character)
            }
        }
        return text + "\""
    }

    // MARK: - Helpers

    /// Division rounding toward negative infinity, with a non-negative remainder.
    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Proleptic Gregorian date of a day count from 1970-01-01 (the days-from-civil inverse on 400-year eras).
    private static func civilDate(daysSince1970: Int64) -> (Int64, Int, Int) {
        let shifted = daysSince1970 + 719_468  // days from 0000-03-01, so leap days fall at the end of a year
        let era = floorDivide(shifted, 146_097).0
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
