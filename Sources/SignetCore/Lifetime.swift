/// Parses and prints lifetimes such as `90s`, `5m`, `1h`, `1h30m`, `7d` (seconds as plain integers too).
public enum Lifetime {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let text: String
        public var description: String {
            "'\(text)' is not a duration: write a positive number with a unit s, m, h or d (e.g. 90s, 5m, 1h, 7d)"
        }
    }

    public static func seconds(_ text: String) throws(ParseError) -> Int {
        let trimmed = text.trimmingSpaces()
        if let plain = Int(trimmed), plain > 0 { return plain }
        var total = 0
        var number = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isASCII, ch.isNumber {
                number.append(ch)
                continue
            }
            guard let value = Int(number) else { throw ParseError(text: text) }
            let unit: Int
            switch ch {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: throw ParseError(text: text)
            }
            let (product, overflow1) = value.multipliedReportingOverflow(by: unit)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            if overflow1 || overflow2 { throw ParseError(text: text) }
            total = sum
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total > 0 else { throw ParseError(text: text) }
        return total
    }

    /// The shortest exact rendering, e.g. 3600 -> `1h`, 5400 -> `1h30m`.
    public static func format(_ seconds: Int) -> String {
        if seconds <= 0 { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, symbol) in [(86400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(symbol)"
            rest %= unit
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> Substring {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
