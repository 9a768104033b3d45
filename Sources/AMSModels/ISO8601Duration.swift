// ISO-8601 durations as the AMS v3 API uses them (`PT2S`, `PT1H30M`, `PT0.5S`, `P1DT2H`).

/// An error thrown when a string is not an ISO-8601 duration the API accepts.
public struct ISO8601DurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that failed to parse.
    public let text: String
    /// Why it failed.
    public let reason: String
    public var description: String { "'\(text)' is not a valid ISO 8601 duration (e.g. PT2S, PT1H30M): \(reason)" }
}

/// A non-negative ISO-8601 duration with day, hour, minute and (fractional) second parts.
///
/// Years and months are rejected: their length depends on a calendar, and no AMS field needs them.
public struct ISO8601Duration: Sendable, Hashable, CustomStringConvertible {
    /// Total length in seconds.
    public let seconds: Double

    /// Creates a duration of `seconds` (must be finite and ≥ 0).
    public init(seconds: Double) {
        precondition(seconds.isFinite && seconds >= 0, "ISO8601Duration needs a finite, non-negative length")
        self.seconds = seconds
    }

    /// Creates a duration from a Swift `Duration` (must be ≥ 0).
    public init(_ duration: Duration) {
        let parts = duration.components
        self.init(seconds: Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }

    /// The length as a Swift `Duration`.
    public var duration: Duration { .nanoseconds(Int64((seconds * 1e9).rounded())) }

    // MARK: - Parsing

    /// Parses `PnDTnHnMnS` (and `PnW`); letters are case-insensitive, `,` is accepted as the decimal mark.
    public init(parsing text: String) throws(ISO8601DurationError) {
        func fail(_ reason: String) -> ISO8601DurationError { ISO8601DurationError(text: text, reason: reason) }
        var chars = Array(text.uppercased().utf8)[...]
        guard chars.first == UInt8(ascii: "P") else { throw fail("it must start with 'P'") }
        chars = chars.dropFirst()
        guard !chars.isEmpty else { throw fail("it has no components") }

        var total = 0.0
        var inTime = false
        var sawComponent = false
        var sawTimeComponent = false
        var sawFraction = false
        // Designators must appear in this order; the index of the last one seen enforces it.
        let dateOrder: [UInt8] = [UInt8(ascii: "W"), UInt8(ascii: "D")]
        let timeOrder: [UInt8] = [UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S")]
        var lastIndex = -1

        while let first = chars.first {
            if first == UInt8(ascii: "T") {
                guard !inTime else { throw fail("'T' appears twice") }
                inTime = true
                lastIndex = -1
                chars = chars.dropFirst()
                guard !chars.isEmpty else { throw fail("'T' must be followed by hours, minutes or seconds") }
                continue
            }
            guard !sawFraction else { throw fail("only the last component may have a fraction") }
            var number = ""
            while let c = chars.first, (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: ",") {
                number.append(c == UInt8(ascii: ",") ? "." : Character(UnicodeScalar(c)))
                chars = chars.dropFirst()
            }
            guard !number.isEmpty else { throw fail("expected a number at '\(String(decoding: chars, as: UTF8.self))'") }
            guard number.first != ".", number.last != ".", let value = Double(number) else {
                throw fail("'\(number)' is not a number")
            }
            guard let designator = chars.first else { throw fail("'\(number)' has no unit letter after it") }
            chars = chars.dropFirst()
            let order = inTime ? timeOrder : dateOrder
            guard let index = order.firstIndex(of: designator) else {
                let letter = Character(UnicodeScalar(designator))
                if !inTime && (letter == "Y" || letter == "M") {
                    throw fail("years and months are not supported; use days or hours")
                }
                if !inTime && (letter == "H" || letter == "S") { throw fail("'\(letter)' needs a 'T' before it (e.g. PT2\(letter))") }
                throw fail("unexpected unit '\(letter)'")
            }
            guard index > lastIndex else { throw fail("units are out of order or repeated") }
            lastIndex = index
            sawFraction = number.contains(".")
            sawComponent = true
            if inTime { sawTimeComponent = true }
            let unitSeconds: Double
            switch (inTime, index) {
            case (false, 0): unitSeconds = 7 * 86_400
            case (false, _): unitSeconds = 86_400
            case (true, 0): unitSeconds = 3_600
            case (true, 1): unitSeconds = 60
            default: unitSeconds = 1
            }
            total += value * unitSeconds
        }
        guard sawComponent else { throw fail("it has no components") }
        guard !inTime || sawTimeComponent else { throw fail("'T' must be followed by hours, minutes or seconds") }
        guard total.isFinite else { throw fail("it is too long") }
        self.seconds = total
    }

    // MARK: - Formatting

    /// The canonical text: hours, minutes and seconds only (`PT25H`, `PT1H30M`, `PT0.5S`, zero is `PT0S`).
    public var iso8601: String {
        // Work in whole milliseconds so 0.1 + 0.2 style noise never reaches the text.
        let totalMillis = Int64((seconds * 1000).rounded())
        let hours = totalMillis / 3_600_000
        let minutes = (totalMillis % 3_600_000) / 60_000
        let millis = totalMillis % 60_000
        var text = "PT"
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if millis > 0 || (hours == 0 && minutes == 0) {
            let whole = millis / 1000
            let fraction = millis % 1000
            text += "\(whole)"
            if fraction > 0 {
                var digits = String(fraction)
                digits = String(repeating: "0", count: 3 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += ".\(digits)"
            }
            text += "S"
        }
        return text
    }

    public var description: String { iso8601 }
}

// MARK: - Codable

extension ISO8601Duration: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try ISO8601Duration(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}
