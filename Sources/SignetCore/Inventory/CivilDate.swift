import Foundation

/// A day of the proleptic Gregorian calendar in UTC, such as 2026-10-01.
///
/// Findings quote dates in their evidence ("expired 2026-10-01, 53 days ago") for every item of
/// inventories with millions of entries, so the conversion must cost nanoseconds: Foundation's
/// date formatters cost microseconds and allocate. Conversions use Howard Hinnant's
/// `days_from_civil` / `civil_from_days` algorithms (exact over the whole proleptic calendar, no
/// tables, no time zones) and ``description`` writes the ten bytes directly.
public struct CivilDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    /// 1 ... 12
    public let month: Int
    /// 1 ... 31
    public let day: Int

    /// Day counts are clamped to ±10^10 days (some 27 million years) so that absurd dates decoded
    /// from user input cannot overflow the arithmetic below.
    static let dayLimit = 10_000_000_000

    /// Years are clamped to the same span, so month arithmetic cannot overflow.
    static let yearLimit = 27_000_000

    /// `year`, `month` and `day` are clamped into range (day to the length of the month), so any
    /// input yields a real date.
    public init(year: Int, month: Int, day: Int) {
        let month = min(max(month, 1), 12)
        let year = min(max(year, -Self.yearLimit), Self.yearLimit)
        self.year = year
        self.month = month
        self.day = min(max(day, 1), Self.daysIn(month: month, year: year))
    }

    /// The date `days` days after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        // civil_from_days: shift the epoch to 0000-03-01 so leap days fall at the end of a year,
        // then split into 400-year eras (146 097 days each), years of era, and days of year.
        let z = min(max(days, -Self.dayLimit), Self.dayLimit) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March ... 11 = February
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    }

    /// The UTC day that contains `date`.
    public init(_ date: Date) {
        self.init(daysSinceEpoch: Self.wholeDays(date.timeIntervalSince1970))
    }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int {
        // days_from_civil, the inverse of init(daysSinceEpoch:).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Midnight UTC at the start of this day.
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400) }

    /// The same day of the month `months` months later (earlier when negative), clamped to the
    /// last day of a shorter month: 2016-01-31 plus one month is 2016-02-29.
    public func adding(months: Int) -> CivilDate {
        let months = min(max(months, -2 * Self.yearLimit * 12), 2 * Self.yearLimit * 12)
        let index = year * 12 + (month - 1) + months
        let newYear = index >= 0 ? index / 12 : (index - 11) / 12
        return CivilDate(year: newYear, month: index - newYear * 12 + 1, day: day)
    }

    /// `yyyy-MM-dd`.
    public var description: String {
        guard (0...9999).contains(year) else { return "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day))" }
        // Ten ASCII bytes fit a small (inline) string, so this does not allocate.
        return String(unsafeUninitializedCapacity: 10) { buffer in
            buffer[0] = UInt8(ascii: "0") + UInt8(year / 1000)
            buffer[1] = UInt8(ascii: "0") + UInt8(year / 100 % 10)
            buffer[2] = UInt8(ascii: "0") + UInt8(year / 10 % 10)
            buffer[3] = UInt8(ascii: "0") + UInt8(year % 10)
            buffer[4] = UInt8(ascii: "-")
            buffer[5] = UInt8(ascii: "0") + UInt8(month / 10)
            buffer[6] = UInt8(ascii: "0") + UInt8(month % 10)
            buffer[7] = UInt8(ascii: "-")
            buffer[8] = UInt8(ascii: "0") + UInt8(day / 10)
            buffer[9] = UInt8(ascii: "0") + UInt8(day % 10)
            return 10
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `yyyy-MM-dd` of the UTC day containing `date`.
    public static func format(_ date: Date) -> String { CivilDate(date).description }

    /// Whole days in `interval` seconds, rounded toward minus infinity, without trapping on NaN,
    /// infinities or values beyond `Int` (dates decoded from user input can be anything).
    static func wholeDays(_ interval: TimeInterval) -> Int {
        let days = (interval / 86_400).rounded(.down)
        guard days.isFinite else { return days > 0 ? dayLimit : (days < 0 ? -dayLimit : 0) }
        return Int(min(max(days, -Double(dayLimit)), Double(dayLimit)))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
