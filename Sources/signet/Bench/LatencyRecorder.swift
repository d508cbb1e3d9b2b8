import Foundation

/// Throughput and latency percentiles of one benchmark phase.
struct PhaseResult: Encodable {
    let name: String
    let concurrency: Int
    let operations: Int
    let seconds: Double
    let p50Milliseconds: Double
    let p99Milliseconds: Double

    var perSecond: Double { seconds > 0 ? Double(operations) / seconds : 0 }

    init(name: String, concurrency: Int, latenciesNanos: [UInt64], seconds: Double) {
        self.name = name
        self.concurrency = concurrency
        self.operations = latenciesNanos.count
        self.seconds = seconds
        let sorted = latenciesNanos.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return Double(sorted[max(0, index)]) / 1_000_000
        }
        p50Milliseconds = percentile(0.50)
        p99Milliseconds = percentile(0.99)
    }

    enum CodingKeys: String, CodingKey {
        case name, concurrency, operations, seconds
        case perSecond = "per_second"
        case p50Milliseconds = "p50_ms"
        case p99Milliseconds = "p99_ms"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(concurrency, forKey: .concurrency)
        try c.encode(operations, forKey: .operations)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(perSecond, forKey: .perSecond)
        try c.encode(p50Milliseconds, forKey: .p50Milliseconds)
        try c.encode(p99Milliseconds, forKey: .p99Milliseconds)
    }
}

/// Runs `concurrency` workers calling `operation` until `duration` has passed; returns every latency.
func runClosedLoop(
    concurrency: Int, duration: Duration, operation: @escaping @Sendable (Int) async throws -> Void
) async throws -> (latencies: [UInt64], seconds: Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start.advanced(by: duration)
    let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var local: [UInt64] = []
                local.reserveCapacity(4096)
                var i = worker
                while clock.now < deadline {
                    let t0 = clock.now
                    try await operation(i)
                    let elapsed = t0.duration(to: clock.now)
                    local.append(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
                    i += concurrency
                }
                return local
            }
        }
        var all: [UInt64] = []
        for try await part in group { all += part }
        return all
    }
    let elapsed = start.duration(to: clock.now)
    return (latencies, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
