import Foundation
import NIOCore
import NIOPosix
import X509

/// Settings of a `scan tls` run.
public struct TLSScanOptions: Sendable {
    public static let defaultConcurrency = 32
    public static let defaultTimeout = Duration.seconds(3)

    /// SNI name sent to every target; nil sends the target's host when it is a name, nothing for an IP.
    public var serverName: String?
    /// Bound on connect plus handshake, per endpoint.
    public var timeout: Duration
    /// Handshakes in flight at once.
    public var concurrency: Int
    /// Extra trust anchors (`--ca-file`), added to the system roots when ``useSystemRoots``.
    public var trustRoots: [Certificate]
    public var useSystemRoots: Bool
    public var expiryWarningDays: Int

    public init(
        serverName: String? = nil, timeout: Duration = defaultTimeout, concurrency: Int = defaultConcurrency,
        trustRoots: [Certificate] = [], useSystemRoots: Bool = true, expiryWarningDays: Int = 30
    ) {
        self.serverName = serverName
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.trustRoots = trustRoots
        self.useSystemRoots = useSystemRoots
        self.expiryWarningDays = expiryWarningDays
    }
}

/// Probes TLS endpoints with bounded concurrency and reports each served chain's posture.
///
/// Each endpoint gets one TCP connection and one handshake (no application data), closed as soon
/// as the handshake completes; a failure of one endpoint never stops the others.
public struct TLSEndpointScanner: Sendable {
    public let options: TLSScanOptions

    public init(options: TLSScanOptions = TLSScanOptions()) {
        self.options = options
    }

    /// Scans `targets` and returns results in target order. `progress` is called after each endpoint.
    public func scan(
        _ targets: [TLSTarget], now: Date = Date(), progress: (@Sendable (TLSScanProgress) -> Void)? = nil
    ) async throws -> TLSScanReport {
        let clock = ContinuousClock()
        let start = clock.now
        let handshaker = try TLSHandshaker(group: MultiThreadedEventLoopGroup.singleton)
        var roots = options.useSystemRoots ? CertificateStore.systemTrustRoots : CertificateStore()
        roots = roots.appending(contentsOf: options.trustRoots)
        let evaluator = TLSChainEvaluator(roots: roots, expiryWarningDays: options.expiryWarningDays)
        let options = self.options

        var results = [TLSEndpointResult?](repeating: nil, count: targets.count)
        var counters = TLSScanProgress(completed: 0, total: targets.count, handshakes: 0, findings: 0, elapsed: .zero)
        await withTaskGroup(of: (Int, TLSEndpointResult).self) { group in
            var next = 0
            func launch() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                next += 1
                group.addTask {
                    (index, await Self.probe(target, handshaker: handshaker, evaluator: evaluator, options: options, now: now))
                }
            }
            for _ in 0..<min(options.concurrency, targets.count) { launch() }
            while let (index, result) = await group.next() {
                results[index] = result
                counters.completed += 1
                if result.failure == nil { counters.handshakes += 1 }
                counters.findings += result.findings.count
                counters.elapsed = clock.now - start
                progress?(counters)
                launch()
            }
        }
        return TLSScanReport(endpoints: results.compactMap { $0 }, duration: clock.now - start)
    }

    static func probe(
        _ target: TLSTarget, handshaker: TLSHandshaker, evaluator: TLSChainEvaluator, options: TLSScanOptions, now: Date
    ) async -> TLSEndpointResult {
        let serverName = options.serverName ?? (target.isIPAddress ? nil : target.host)
        switch await handshaker.handshake(target, serverName: serverName, timeout: options.timeout) {
        case .success(let handshake):
            return await evaluator.evaluate(
                chain: handshake.chain, target: target, serverName: serverName, tlsVersion: handshake.tlsVersion, now: now)
        case .failure(let failure):
            return TLSEndpointResult(target: target, serverName: serverName, failure: failure)
        }
    }
}
