import Foundation

/// Timestamps as credential listings write them, parsed by hand.
///
/// A 100 000-row credential report holds several timestamps per row; creating or even sharing a
/// `DateFormatter` per value dominates the import, and formatters are not `Sendable`. The grammar
/// accepted is the ISO 8601 profile these tools emit: `2024-05-01`, `2024-05-01T12:00:00Z`,
/// `2024-05-01T12:00:00+00:00`, `2024-05-01T12:00:00.123-0700`, `2024-05-01 12:00` (a space for the
/// `T`, seconds optional). A time without a zone is read as UTC, as IAM and Kubernetes mean it.
/// Anything else, including impossible dates (`2023-02-29`), is nil.
enum ImportDate {
    static func parse(_ text: some StringProtocol) -> Date? {
        var copy = String(text)
        return copy.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 10, bytes.count <= 40 else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for index in start..<start + length {
                let digit = Int(bytes[index]) - 0x30
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard let year = number(0, 4), byte(4) == dash, let month = number(5, 2), byte(7) == dash,
            let day = number(8, 2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: seconds) }

        guard let separator = byte(10), separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t")
            || separator == UInt8(ascii: " "),
            let hour = number(11, 2), byte(13) == colon, let minute = number(14, 2), hour < 24, minute < 60
        else { return nil }
        var index = 16
        var second = 0
        if byte(index) == colon {
            guard let value = number(17, 2), value <= 60 else { return nil }
            second = value
            index = 19
        }
        var fraction = 0.0
        if let mark = byte(index), mark == UInt8(ascii: ".") || mark == UInt8(ascii: ",") {
            index += 1
            var scale = 0.1
            let start = index
            while let next = byte(index), (0x30...0x39).contains(next) {
                fraction += Double(next - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if let zone = byte(index) {
            switch zone {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), dash:
                guard let hours = number(index + 1, 2), hours < 24 else { return nil }
                index += 3
                let separated = byte(index) == colon
                if separated { index += 1 }
                var minutes = 0
                if separated || index < bytes.count {
                    guard let value = number(index, 2), value < 60 else { return nil }
                    minutes = value
                    index += 2
                }
                offset = (hours * 3600 + minutes * 60) * (zone == dash ? -1 : 1)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (March-based year, 400-year eras).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
