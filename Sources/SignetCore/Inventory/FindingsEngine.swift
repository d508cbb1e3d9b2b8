import Foundation

/// Computes the posture findings of inventory items: what is wrong with each credential, the
/// facts that show it, and what to do about it.
///
/// Findings are a pure function of the item, the ``FindingsPolicy`` and the clock, so they are
/// recomputed rather than stored as state: a fixed problem simply stops being reported, and a
/// finding's id (rule + item) is stable across recomputations.
///
/// A full recomputation runs over every item of inventories with millions of entries, so the
/// engine does no I/O, uses no Foundation formatters (dates are rendered by ``CivilDate``), reads
/// only what each rule needs, and builds text only for rules that fire.
///
/// Revoked and retired credentials produce no findings: they are out of use, and anything said
/// about them would be noise.
public struct FindingsEngine: Sendable {
    public let policy: FindingsPolicy

    let expiringWindow: TimeInterval
    let criticalWindow: TimeInterval
    let rotationWindow: TimeInterval
    let unusedWindow: TimeInterval
    /// Lowercased environment names.
    let production: Set<String>
    let nonProduction: Set<String>
    /// Per-kind titles and fixes, indexed by ``kindIndex(_:)``.
    let kindTexts: [KindTexts]

    public init(policy: FindingsPolicy = FindingsPolicy()) {
        self.policy = policy
        // Out-of-range values (see FindingsPolicy.problems) are clamped rather than trusted.
        func window(_ days: Int) -> TimeInterval { TimeInterval(min(max(days, 0), 36_500)) * 86_400 }
        expiringWindow = window(policy.expiringWithinDays)
        criticalWindow = window(policy.criticalWithinDays)
        rotationWindow = window(policy.rotationDays)
        unusedWindow = window(policy.unusedDays)
        production = Set(policy.productionEnvironments.map { $0.lowercased() })
        nonProduction = Set(policy.nonProductionEnvironments.map { $0.lowercased() })
        kindTexts = KindTexts.all()
    }

    /// The item's findings as of `now`, in the order of ``Finding/Rule``'s cases, at most one per rule.
    public func findings(for item: InventoryItem, now: Date) -> [Finding] {
        if item.status == .revoked || item.status == .retired { return [] }
        var found: [Finding] = []
        found.reserveCapacity(4)
        let expiry = item.expires ?? item.certificate?.notAfter
        checkExpired(item, expiry: expiry, now: now, into: &found)
        checkExpiringSoon(item, expiry: expiry, now: now, into: &found)
        checkValidity(item, into: &found)
        checkRotation(item, expiry: expiry, now: now, into: &found)
        checkHardCodedSecret(item, into: &found)
        checkWorldReadableKey(item, into: &found)
        checkWeakKey(item, into: &found)
        checkWeakSignature(item, into: &found)
        checkSelfSignedInProduction(item, into: &found)
        checkOwner(item, into: &found)
        checkUnused(item, now: now, into: &found)
        checkShared(item, into: &found)
        checkPrivileges(item, into: &found)
        return found
    }

    /// Sum of the severity weights: the item's risk score.
    public static func riskScore(_ findings: [Finding]) -> Int {
        var total = 0
        for index in findings.indices { total += weight(findings[index].severity) }
        return total
    }

    // MARK: - Shared helpers

    func finding(
        _ rule: Finding.Rule, _ severity: Finding.Severity, _ item: InventoryItem, title: String, evidence: String,
        fix: String
    ) -> Finding {
        Finding(
            rule: rule, severity: severity, itemID: item.id, owner: item.owner, title: title, evidence: evidence,
            fix: fix, location: item.locations.first)
    }

    enum EnvironmentClass { case production, nonProduction, unknown }

    /// Case-insensitive lookup that lowercases (allocates) only names with upper-case letters.
    func environmentClass(_ item: InventoryItem) -> EnvironmentClass {
        guard let name = item.environment, !name.isEmpty else { return .unknown }
        let key = name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? name.lowercased() : name
        if production.contains(key) { return .production }
        if nonProduction.contains(key) { return .nonProduction }
        return .unknown
    }

    static func hasLocation(_ item: InventoryItem, type: String) -> Bool {
        item.locations.indices.contains { item.locations[$0].type == type }
    }

    /// Builds evidence text in one buffer: string interpolation grows (reallocates) its buffer
    /// several times for a typical sentence, and findings are built by the million.
    static func text(capacity: Int = 96, _ build: (inout String) -> Void) -> String {
        var text = String()
        text.reserveCapacity(capacity)
        build(&text)
        return text
    }

    /// Appends where a location is: `/srv/app/.env:3`, `git@host:acme/app (commit 1a2b3c4, line 3)`,
    /// `host:443`.
    static func append(_ location: InventoryItem.Location, to text: inout String) {
        text += location.target
        if location.type == "git" {
            switch (location.commit, location.line) {
            case (let commit?, let line?): text += " (commit \(commit.prefix(12)), line \(line))"
            case (let commit?, nil): text += " (commit \(commit.prefix(12)))"
            case (nil, let line?): text += " (line \(line))"
            case (nil, nil): break
            }
        } else if let line = location.line {
            text += ":\(line)"
        }
    }

    /// `53 days ago`, `1 day ago`, `less than a day ago`.
    static func ago(_ seconds: TimeInterval) -> String {
        let days = CivilDate.wholeDays(seconds)
        switch days {
        case ..<1: return "less than a day ago"
        case 1: return "1 day ago"
        default: return "\(days) days ago"
        }
    }

    /// `in 12 days`, `in 1 day`, `in less than a day`.
    static func fromNow(_ seconds: TimeInterval) -> String {
        let days = CivilDate.wholeDays(seconds)
        switch days {
        case ..<1: return "in less than a day"
        case 1: return "in 1 day"
        default: return "in \(days) days"
        }
    }

    /// `398 days`, or `398d1s` when not a whole number of days.
    static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(seconds)s" }
        let whole = Int(seconds.rounded(.down))
        if whole % 86_400 == 0 { return whole == 86_400 ? "1 day" : "\(whole / 86_400) days" }
        return Lifetime.format(whole)
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
}
