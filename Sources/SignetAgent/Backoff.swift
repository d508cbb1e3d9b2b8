/// Capped exponential backoff with jitter (delay drawn between half and all of min(cap, base * 2^n)),
/// the shape that keeps a fleet of agents from hammering a server that just came back.
struct Backoff: Sendable {
    let base: Duration
    let cap: Duration
    private(set) var attempt = 0

    init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    mutating func next() -> Duration {
        let exponent = min(attempt, 20)
        attempt += 1
        let ceiling = min(cap, base * (1 << exponent))
        let millis = max(1, Int(ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000))
        return .milliseconds(Int.random(in: millis / 2...millis))
    }

    mutating func reset() { attempt = 0 }
}
