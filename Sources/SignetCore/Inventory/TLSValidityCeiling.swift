import Foundation

/// The longest validity the CA/Browser Forum Baseline Requirements allow a publicly-trusted TLS
/// server certificate, as a function of the day it was issued (its `notBefore`).
///
/// Private CAs are not bound by these limits, but the inventory flags certificates that exceed
/// them: a long-lived certificate is a long-lived risk whoever issued it, and anything meant to be
/// publicly trusted is rejected by browsers when it breaks them.
///
/// The schedule, by issue date:
/// - on or after 2029-03-15: 47 days (ballot SC-081v3)
/// - 2027-03-15 ..< 2029-03-15: 100 days (SC-081v3)
/// - 2026-03-15 ..< 2027-03-15: 200 days (SC-081v3)
/// - 2020-09-01 ..< 2026-03-15: 398 days (root-store policies of Apple, Google and Mozilla, later
///   part of the Baseline Requirements)
/// - 2018-03-01 ..< 2020-09-01: 825 days (ballot 193)
/// - 2015-04-01 ..< 2018-03-01: 39 months (Baseline Requirements 1.0, §9.4)
/// - before 2015-04-01: 60 months (Baseline Requirements 1.0, §9.4)
///
/// Ballot SC-081v3 ("Introduce Schedule of Reducing Validity and Data Reuse Periods") was adopted
/// when its vote closed on 2025-04-11 (25 certificate issuers and all 4 certificate consumers,
/// Apple, Google, Microsoft and Mozilla, in favour); its limits apply to certificates issued on or
/// after 2026-03-15, 2027-03-15 and 2029-03-15.
///
/// Validity is measured as RFC 5280 and the Baseline Requirements define it: both `notBefore` and
/// `notAfter` are included, so a certificate's validity is `notAfter - notBefore + 1 s` and a
/// "398-day" certificate runs from 00:00:00 to 23:59:59 of the 398th day.
public struct TLSValidityCeiling: Hashable, Sendable, CustomStringConvertible {
    public enum Limit: Hashable, Sendable {
        case days(Int)
        /// Calendar months from `notBefore` (the same day of the month, clamped to the month's end).
        case months(Int)
    }

    public let limit: Limit
    /// First issue instant (inclusive) the limit applies to; nil for the oldest limit.
    public let effectiveFrom: Date?
    /// The rule that set the limit, for evidence text.
    public let source: String

    /// Newest first: the first entry whose start is not after `notBefore` applies.
    static let schedule: [TLSValidityCeiling] = [
        .init(.days(47), from: (2029, 3, 15), "CA/Browser Forum ballot SC-081v3"),
        .init(.days(100), from: (2027, 3, 15), "CA/Browser Forum ballot SC-081v3"),
        .init(.days(200), from: (2026, 3, 15), "CA/Browser Forum ballot SC-081v3"),
        .init(.days(398), from: (2020, 9, 1), "CA/Browser Forum Baseline Requirements and root-store policies"),
        .init(.days(825), from: (2018, 3, 1), "CA/Browser Forum ballot 193"),
        .init(.months(39), from: (2015, 4, 1), "CA/Browser Forum Baseline Requirements 1.0"),
        .init(.months(60), from: nil, "CA/Browser Forum Baseline Requirements 1.0"),
    ]

    private init(_ limit: Limit, from start: (Int, Int, Int)?, _ source: String) {
        self.limit = limit
        self.effectiveFrom = start.map { CivilDate(year: $0.0, month: $0.1, day: $0.2).start }
        self.source = source
    }

    /// The ceiling for a certificate whose `notBefore` is `issued`.
    public static func forCertificate(issuedAt issued: Date) -> TLSValidityCeiling {
        for ceiling in schedule {
            guard let start = ceiling.effectiveFrom else { return ceiling }
            if issued >= start { return ceiling }
        }
        return schedule[schedule.count - 1]
    }

    /// The longest validity, in seconds, allowed for a certificate whose `notBefore` is `issued`
    /// (which matters only for month-based limits, whose length varies).
    public func maximumValidity(issuedAt issued: Date) -> TimeInterval {
        switch limit {
        case .days(let days):
            return TimeInterval(days) * 86_400
        case .months(let months):
            let seconds = issued.timeIntervalSince1970
            let day = CivilDate(issued)
            let timeOfDay = seconds - TimeInterval(day.daysSinceEpoch) * 86_400
            let end = day.adding(months: months).start.timeIntervalSince1970 + timeOfDay
            return end - seconds
        }
    }

    /// RFC 5280 validity: `notAfter - notBefore + 1 s`, both ends included.
    public static func validity(notBefore: Date, notAfter: Date) -> TimeInterval {
        notAfter.timeIntervalSince(notBefore) + 1
    }

    /// True when a certificate valid from `notBefore` to `notAfter` (inclusive) is valid longer
    /// than the ceiling in force on `notBefore`.
    public static func isExceeded(notBefore: Date, notAfter: Date) -> Bool {
        validity(notBefore: notBefore, notAfter: notAfter)
            > forCertificate(issuedAt: notBefore).maximumValidity(issuedAt: notBefore)
    }

    /// `398 days`, `39 months`.
    public var description: String {
        switch limit {
        case .days(let days): "\(days) days"
        case .months(let months): "\(months) months"
        }
    }
}
