import Foundation

/// The one-line progress bar `scan path` redraws on a terminal's stderr, as a pure function so
/// every corner (no total yet, nothing done, more done than counted, a narrow terminal) is tested
/// without a terminal.
///
/// `[#########...........]  45%  123.4/274.0 MB  56.7 MB/s  ETA 0:03  2 findings`
public enum ScanProgressBar {
    /// The line for `done` of `total` bytes after `elapsed` seconds, at most `width - 1` characters
    /// (a line as wide as the terminal would wrap before the next redraw). Without a total there is
    /// no bar, percentage or ETA; a bar narrower than 10 cells is left out rather than drawn useless.
    public static func render(done: Int, total: Int?, elapsed: Double, width: Int, findings: Int? = nil) -> String {
        let done = max(0, done)
        let elapsed = elapsed.isFinite ? max(0, elapsed) : 0
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var parts: [String] = []
        var fraction: Double?
        if let total {
            let total = max(0, total)
            let value = total == 0 ? 1 : min(1, Double(done) / Double(total))
            fraction = value
            parts.append(String(format: "%3d%%", Int(value * 100)))
            parts.append(size(done, of: total))
        } else {
            parts.append(size(done, of: nil))
        }
        parts.append(String(format: "%.1f MB/s", rate / 1_000_000))
        // The first half second's rate is mostly start-up (listing history, counting files): no ETA from it.
        if let total { parts.append("ETA " + eta(remaining: max(0, total - done), rate: elapsed >= 0.5 ? rate : 0)) }
        if let findings { parts.append(findings == 1 ? "1 finding" : "\(max(0, findings)) findings") }
        let stats = parts.joined(separator: "  ")
        let room = width - 1
        let barCells = room - stats.count - 3  // "[", "] " around the cells
        guard let fraction, barCells >= 10 else { return String(stats.prefix(max(0, room))) }
        let filled = Int((fraction * Double(barCells)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barCells - filled) + "] " + stats
    }

    /// `12.3/45.6 MB`, switching to GB from 10 GB so the numbers stay short.
    static func size(_ done: Int, of total: Int?) -> String {
        let scale = max(done, total ?? 0) >= 10_000_000_000 ? (1e9, "GB") : (1e6, "MB")
        let doneText = String(format: "%.1f", Double(done) / scale.0)
        guard let total else { return doneText + " " + scale.1 }
        return doneText + "/" + String(format: "%.1f", Double(total) / scale.0) + " " + scale.1
    }

    /// `m:ss` or `h:mm:ss`; `--:--` until a rate is known; `>99h` beyond that.
    static func eta(remaining: Int, rate: Double) -> String {
        if remaining == 0 { return "0:00" }
        guard rate > 0 else { return "--:--" }
        let seconds = Double(remaining) / rate
        guard seconds < 100 * 3600 else { return ">99h" }
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
