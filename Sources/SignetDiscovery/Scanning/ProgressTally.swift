/// The running count behind a scan's progress callback: bytes dealt with against the pre-counted
/// total, reported at most once per interval.
struct ProgressTally {
    let started: ContinuousClock.Instant
    let interval: Duration
    let total: Int?
    let callback: ((PathScanProgress) -> Void)?
    private(set) var bytesDone = 0
    private var lastReport: ContinuousClock.Instant

    init(started: ContinuousClock.Instant, interval: Duration, total: Int?, callback: ((PathScanProgress) -> Void)?) {
        self.started = started
        self.interval = interval
        self.total = total
        self.callback = callback
        self.lastReport = started
    }

    /// Counts one merged outcome and calls back when the interval has passed.
    mutating func record(_ outcome: FileScanOutcome, in report: PathScanReport, now: ContinuousClock.Instant) {
        bytesDone += outcome.bytesRead
        guard let callback, now - lastReport >= interval else { return }
        lastReport = now
        callback(PathScanProgress(
            filesScanned: report.filesScanned, bytesScanned: report.bytesScanned, findings: report.findings.count,
            elapsedSeconds: PathScanner.seconds(now - started), bytesDone: bytesDone, bytesTotal: total))
    }
}
