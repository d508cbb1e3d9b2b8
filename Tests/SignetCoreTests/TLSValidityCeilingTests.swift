import Foundation
import Testing

@testable import SignetCore

@Suite("TLS validity ceiling and civil dates")
struct TLSValidityCeilingTests {
    static let day: TimeInterval = 86_400

    /// Midnight UTC, from epoch seconds checked independently (Python's datetime).
    static let june2025 = Date(timeIntervalSince1970: 1_748_736_000)  // 2025-06-01
    static let march2026 = Date(timeIntervalSince1970: 1_773_532_800)  // 2026-03-15

    static func utc(_ year: Int, _ month: Int, _ day: Int) -> Date { CivilDate(year: year, month: month, day: day).start }

    @Test("civil dates convert both ways and agree with known epoch days")
    func civilDates() {
        #expect(CivilDate(year: 2025, month: 6, day: 1).daysSinceEpoch == 20_240)
        #expect(CivilDate(year: 2000, month: 2, day: 29).daysSinceEpoch == 11_016)
        #expect(CivilDate(year: 1969, month: 12, day: 31).daysSinceEpoch == -1)
        #expect(CivilDate(year: 1, month: 1, day: 1).daysSinceEpoch == -719_162)
        #expect(CivilDate(year: 2400, month: 3, day: 1).daysSinceEpoch == 157_114)
        #expect(CivilDate(daysSinceEpoch: 20_780).description == "2026-11-23")
        #expect(CivilDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(CivilDate(daysSinceEpoch: -1).description == "1969-12-31")
        #expect(CivilDate(Self.june2025) == CivilDate(year: 2025, month: 6, day: 1))
        #expect(Self.utc(2026, 3, 15) == Self.march2026)
        // One second before midnight is still the previous day, also before 1970.
        #expect(CivilDate.format(Self.june2025.addingTimeInterval(-1)) == "2025-05-31")
        #expect(CivilDate.format(Date(timeIntervalSince1970: -1)) == "1969-12-31")
        // Round trip over four centuries, including every leap-day rule.
        for days in stride(from: -200_000, through: 200_000, by: 7) {
            let date = CivilDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
        }
        #expect(CivilDate(year: 1900, month: 2, day: 29) == CivilDate(year: 1900, month: 2, day: 28))
        #expect(CivilDate(year: 2000, month: 2, day: 29).day == 29)
    }

    @Test("formatting pads with zeros and absurd dates do not trap")
    func formatting() {
        #expect(CivilDate(year: 5, month: 3, day: 7).description == "0005-03-07")
        #expect(CivilDate(year: 12_345, month: 1, day: 2).description == "12345-01-02")
        #expect(CivilDate(year: -44, month: 3, day: 15).description == "-44-03-15")
        _ = CivilDate(Date(timeIntervalSince1970: .infinity)).description
        _ = CivilDate(Date(timeIntervalSince1970: -.greatestFiniteMagnitude)).description
        #expect(CivilDate.wholeDays(.nan) == 0)
        #expect(CivilDate.wholeDays(-1) == -1)
        #expect(CivilDate.wholeDays(86_399) == 0)
        _ = CivilDate(year: .max, month: .max, day: .min).adding(months: .max).daysSinceEpoch
        _ = CivilDate(year: .min, month: 1, day: 1).adding(months: .min).description
    }

    @Test("adding months clamps to the end of shorter months")
    func addingMonths() {
        #expect(CivilDate(year: 2016, month: 1, day: 31).adding(months: 1) == CivilDate(year: 2016, month: 2, day: 29))
        #expect(CivilDate(year: 2016, month: 1, day: 31).adding(months: 39) == CivilDate(year: 2019, month: 4, day: 30))
        #expect(CivilDate(year: 2016, month: 3, day: 15).adding(months: -3) == CivilDate(year: 2015, month: 12, day: 15))
        #expect(CivilDate(year: 2016, month: 12, day: 1).adding(months: 1) == CivilDate(year: 2017, month: 1, day: 1))
    }

    @Test("the ceiling follows the issue date, changing at midnight UTC of each effective date")
    func schedule() {
        func ceiling(_ date: Date) -> String { TLSValidityCeiling.forCertificate(issuedAt: date).description }
        #expect(ceiling(Self.march2026.addingTimeInterval(-1)) == "398 days")
        #expect(ceiling(Self.march2026) == "200 days")
        #expect(ceiling(Self.utc(2027, 3, 14)) == "200 days")
        #expect(ceiling(Self.utc(2027, 3, 15)) == "100 days")
        #expect(ceiling(Self.utc(2029, 3, 15).addingTimeInterval(-1)) == "100 days")
        #expect(ceiling(Self.utc(2029, 3, 15)) == "47 days")
        #expect(ceiling(Self.utc(2040, 1, 1)) == "47 days")
        #expect(ceiling(Self.utc(2020, 9, 1)) == "398 days")
        #expect(ceiling(Self.utc(2020, 8, 31)) == "825 days")
        #expect(ceiling(Self.utc(2018, 3, 1)) == "825 days")
        #expect(ceiling(Self.utc(2018, 2, 28)) == "39 months")
        #expect(ceiling(Self.utc(2015, 4, 1)) == "39 months")
        #expect(ceiling(Self.utc(2015, 3, 31)) == "60 months")
        #expect(TLSValidityCeiling.forCertificate(issuedAt: Self.march2026).source.contains("SC-081"))
    }

    @Test("398 days are allowed on 2025-06-01, one second more is not (validity includes both ends)")
    func boundary398() {
        let nb = Self.june2025
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(398 * Self.day - 1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(398 * Self.day)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(399 * Self.day - 1)))
        #expect(TLSValidityCeiling.validity(notBefore: nb, notAfter: nb.addingTimeInterval(398 * Self.day - 1))
            == 398 * Self.day)
    }

    @Test("200 days are allowed on 2026-04-01, 201 are not")
    func boundary200() {
        let nb = Self.utc(2026, 4, 1)
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(200 * Self.day - 1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(201 * Self.day - 1)))
        // The same certificate was fine a month earlier, under the 398-day limit.
        let before = Self.utc(2026, 3, 1)
        #expect(!TLSValidityCeiling.isExceeded(
            notBefore: before, notAfter: before.addingTimeInterval(201 * Self.day - 1)))
    }

    @Test("47 days from 2029-03-15, 100 days from 2027-03-15")
    func laterLimits() {
        let nb2029 = Self.utc(2029, 3, 15)
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb2029, notAfter: nb2029.addingTimeInterval(47 * Self.day - 1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb2029, notAfter: nb2029.addingTimeInterval(48 * Self.day - 1)))
        let nb2027 = Self.utc(2027, 6, 1).addingTimeInterval(3600)
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb2027, notAfter: nb2027.addingTimeInterval(100 * Self.day - 1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb2027, notAfter: nb2027.addingTimeInterval(100 * Self.day)))
    }

    @Test("month-based limits run to the same time of day 39 months later, clamped to the month's end")
    func monthLimits() {
        let nb = Self.utc(2016, 1, 31).addingTimeInterval(10 * 3600)
        let end = Self.utc(2019, 4, 30).addingTimeInterval(10 * 3600)
        #expect(TLSValidityCeiling.forCertificate(issuedAt: nb).maximumValidity(issuedAt: nb) == end.timeIntervalSince(nb))
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: end.addingTimeInterval(-1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: end))
        let old = Self.utc(2014, 5, 1)
        #expect(!TLSValidityCeiling.isExceeded(notBefore: old, notAfter: Self.utc(2019, 5, 1).addingTimeInterval(-1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: old, notAfter: Self.utc(2019, 5, 2)))
    }

    @Test("825 days between 2018-03-01 and 2020-09-01")
    func boundary825() {
        let nb = Self.utc(2019, 1, 1)
        #expect(!TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(825 * Self.day - 1)))
        #expect(TLSValidityCeiling.isExceeded(notBefore: nb, notAfter: nb.addingTimeInterval(826 * Self.day - 1)))
    }
}
